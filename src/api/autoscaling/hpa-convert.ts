// autoscaling/v1 ⇄ autoscaling/v2 HorizontalPodAutoscaler. v2 is the stored form; what v1
// cannot express (other metrics, behavior, conditions) travels in annotations, as Kubernetes does.
import type { KObject } from '../types.js';
import { clone } from '../../util/clone.js';

export const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const V1_ONLY_ANNOTATIONS = [METRICS_ANNOTATION, CURRENT_METRICS_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

export const DEFAULT_CPU_UTILIZATION = 80;

function isCpuUtilization(m: any): boolean {
  return m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization' && m.resource?.target?.averageUtilization != null;
}

function isCpuUtilizationStatus(m: any): boolean {
  return m?.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.current?.averageUtilization != null;
}

function parseList(annotations: Record<string, string>, key: string): any[] {
  const raw = annotations[key];
  if (raw === undefined) return [];
  try {
    const v = JSON.parse(raw);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** autoscaling/v2 → autoscaling/v1. */
export function hpaV2ToV1(obj: KObject): KObject {
  const meta = clone(obj.metadata ?? {});
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  const spec = obj.spec ?? {};
  const metrics: any[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization);
  const others = metrics.filter((m) => m !== cpu);
  if (others.length) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);

  const out: KObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: meta };
  const v1spec: any = { scaleTargetRef: clone(spec.scaleTargetRef ?? {}) };
  if (spec.minReplicas != null) v1spec.minReplicas = spec.minReplicas;
  v1spec.maxReplicas = spec.maxReplicas ?? 0;
  if (cpu) v1spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  out.spec = v1spec;

  if (obj.status) {
    const st = obj.status;
    const current: any[] = Array.isArray(st.currentMetrics) ? st.currentMetrics : [];
    const cpuNow = current.find(isCpuUtilizationStatus);
    const otherNow = current.filter((m) => m !== cpuNow);
    if (otherNow.length) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(otherNow);
    if (Array.isArray(st.conditions) && st.conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(st.conditions);
    const v1status: any = {};
    if (st.observedGeneration != null) v1status.observedGeneration = st.observedGeneration;
    if (st.lastScaleTime != null) v1status.lastScaleTime = st.lastScaleTime;
    v1status.currentReplicas = st.currentReplicas ?? 0;
    v1status.desiredReplicas = st.desiredReplicas ?? 0;
    if (cpuNow) v1status.currentCPUUtilizationPercentage = cpuNow.resource.current.averageUtilization;
    out.status = v1status;
  }
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  return out;
}

/** autoscaling/v1 → autoscaling/v2; no target means the default of 80% CPU, as v2 defaulting gives. */
export function hpaV1ToV2(obj: KObject): KObject {
  const meta = clone(obj.metadata ?? {});
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  const spec = obj.spec ?? {};
  // Kubernetes' order: metrics kept in the annotation first, the v1 CPU target last.
  const metrics: any[] = parseList(annotations, METRICS_ANNOTATION);
  if (spec.targetCPUUtilizationPercentage != null)
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  if (!metrics.length)
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } });

  const v2spec: any = { scaleTargetRef: clone(spec.scaleTargetRef ?? {}) };
  if (spec.minReplicas != null) v2spec.minReplicas = spec.minReplicas;
  v2spec.maxReplicas = spec.maxReplicas ?? 0;
  v2spec.metrics = metrics;
  if (annotations[BEHAVIOR_ANNOTATION] !== undefined) {
    try {
      v2spec.behavior = JSON.parse(annotations[BEHAVIOR_ANNOTATION]!);
    } catch {
      // An unreadable annotation is dropped rather than failing the read.
    }
  }
  const out: KObject = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta, spec: v2spec };

  if (obj.status) {
    const st = obj.status;
    const current: any[] = parseList(annotations, CURRENT_METRICS_ANNOTATION);
    if (st.currentCPUUtilizationPercentage != null)
      current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: st.currentCPUUtilizationPercentage } } });
    const v2status: any = {};
    if (st.observedGeneration != null) v2status.observedGeneration = st.observedGeneration;
    if (st.lastScaleTime != null) v2status.lastScaleTime = st.lastScaleTime;
    if (st.currentReplicas) v2status.currentReplicas = st.currentReplicas;
    v2status.desiredReplicas = st.desiredReplicas ?? 0;
    if (current.length) v2status.currentMetrics = current;
    const conditions = parseList(annotations, CONDITIONS_ANNOTATION);
    if (conditions.length) v2status.conditions = conditions;
    out.status = v2status;
  }
  for (const k of V1_ONLY_ANNOTATIONS) delete annotations[k];
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
  return out;
}
