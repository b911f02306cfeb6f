// The HPA status the controller writes (setStatus), and whether it differs from the last.
import { formatTime } from '../../util/time.js';

/** Current and desired replicas, the metrics read this pass, conditions kept; lastScaleTime moved on a rescale. */
export function withStatus(prior: any, currentReplicas: number, desiredReplicas: number, metrics: any[] | undefined, rescaled: boolean, now: number): any {
  const out: any = {};
  if (prior?.observedGeneration != null) out.observedGeneration = prior.observedGeneration;
  const last = rescaled ? formatTime(now) : prior?.lastScaleTime;
  if (last) out.lastScaleTime = last;
  if (currentReplicas) out.currentReplicas = currentReplicas;
  out.desiredReplicas = desiredReplicas;
  if (metrics?.length) out.currentMetrics = metrics;
  if (prior?.conditions?.length) out.conditions = prior.conditions;
  return out;
}

/** Deep comparison in the JSON sense: key order and absent-vs-undefined do not matter. */
export function statusChanged(before: unknown, after: unknown): boolean {
  return !same(before ?? {}, after ?? {});
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => same(v, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => same((a as any)[k], (b as any)[k]));
}
