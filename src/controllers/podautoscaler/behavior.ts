// What the autoscaler does with a recommendation before applying it: stabilization
// (the highest recommendation of the last window on the way down, the lowest on the way
// up) and rate limits — either the fixed limit used when an HPA has no `behavior`
// (at most double, or 4, per sync) or the HPA's own scale-up/scale-down policies.
import type { ConditionUpdate } from './conditions.js';

/** --horizontal-pod-autoscaler-downscale-stabilization */
export const DEFAULT_DOWNSCALE_STABILIZATION_MS = 300_000;
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

export interface ScalingPolicy {
  type: 'Pods' | 'Percent' | string;
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled' | string;
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
}

interface History {
  recommendations: Recommendation[];
  up: ScaleEvent[];
  down: ScaleEvent[];
}

export interface Normalized {
  replicas: number;
  conditions: ConditionUpdate[];
}

const READY: ConditionUpdate = { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

/** Per-HPA memory of recent recommendations and scale events, as the controller keeps it. */
export class ScalingHistory {
  private readonly byKey = new Map<string, History>();

  constructor(private readonly downscaleStabilizationMs = DEFAULT_DOWNSCALE_STABILIZATION_MS) {}

  private entry(key: string): History {
    let h = this.byKey.get(key);
    if (!h) {
      h = { recommendations: [], up: [], down: [] };
      this.byKey.set(key, h);
    }
    return h;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  /** The first sync of an HPA remembers the target's current size as a recommendation. */
  recordInitial(key: string, currentReplicas: number, now: number): void {
    const h = this.entry(key);
    if (!h.recommendations.length) h.recommendations.push({ replicas: currentReplicas, at: now });
  }

  /** Replaces a sample older than `cutoff`, if any, else appends: the list stays as long as the window needs. */
  private record(h: History, replicas: number, now: number, expired: (r: Recommendation) => boolean): void {
    const old = h.recommendations.findIndex(expired);
    if (old >= 0) h.recommendations[old] = { replicas, at: now };
    else h.recommendations.push({ replicas, at: now });
  }

  /** No `behavior`: scale-down stabilization over the controller-wide window, then the fixed scale-up limit. */
  normalize(key: string, current: number, desired: number, min: number, max: number, now: number): Normalized {
    const h = this.entry(key);
    const cutoff = now - this.downscaleStabilizationMs;
    let stabilized = desired;
    for (const r of h.recommendations) if (r.at >= cutoff && r.replicas > stabilized) stabilized = r.replicas;
    this.record(h, desired, now, (r) => r.at < cutoff);
    const conditions: ConditionUpdate[] = [
      stabilized !== desired
        ? {
            type: 'AbleToScale',
            status: 'True',
            reason: 'ScaleDownStabilized',
            message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
          }
        : READY,
    ];
    const limit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
    let replicas = stabilized;
    let reason = 'DesiredWithinRange';
    let message = 'the desired count is within the acceptable range';
    const maxAllowed = Math.min(max, limit);
    if (stabilized < min) {
      replicas = min;
      reason = 'TooFewReplicas';
      message = 'the desired replica count is less than the minimum replica count';
    } else if (stabilized > maxAllowed) {
      replicas = maxAllowed;
      if (max > limit) {
        reason = 'ScaleUpLimit';
        message = 'the desired replica count is increasing faster than the maximum scale rate';
      } else {
        reason = 'TooManyReplicas';
        message = 'the desired replica count is more than the maximum replica count';
      }
    }
    conditions.push({ type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', reason, message });
    return { replicas, conditions };
  }

  /** With `behavior` (already defaulted by the API): its windows and policies. */
  normalizeWithBehavior(key: string, behavior: Behavior, current: number, desired: number, min: number, max: number, now: number): Normalized {
    const h = this.entry(key);
    const up = behavior.scaleUp ?? {};
    const down = behavior.scaleDown ?? {};
    const upCutoff = now - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = now - (down.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000) * 1000;
    let upRec = desired;
    let downRec = desired;
    for (const r of h.recommendations) {
      if (r.at > upCutoff) upRec = Math.min(upRec, r.replicas);
      if (r.at > downCutoff) downRec = Math.max(downRec, r.replicas);
    }
    let stabilized = current;
    if (stabilized < upRec) stabilized = upRec;
    if (stabilized > downRec) stabilized = downRec;
    this.record(h, desired, now, (r) => r.at < upCutoff && r.at < downCutoff);

    const conditions: ConditionUpdate[] = [];
    if (stabilized !== desired) {
      conditions.push(
        desired >= current
          ? {
              type: 'AbleToScale',
              status: 'True',
              reason: 'ScaleUpStabilized',
              message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
            }
          : {
              type: 'AbleToScale',
              status: 'True',
              reason: 'ScaleDownStabilized',
              message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
            },
      );
    } else conditions.push(READY);

    let replicas = stabilized;
    let reason = 'DesiredWithinRange';
    let message = 'the desired count is within the acceptable range';
    if (stabilized > current) {
      const limit = Math.max(scaleUpLimit(current, h.up, h.down, up, now), current);
      let maxAllowed = max;
      if (max > limit) {
        maxAllowed = limit;
        reason = 'ScaleUpLimit';
        message = 'the desired replica count is increasing faster than the maximum scale rate';
      } else {
        reason = 'TooManyReplicas';
        message = 'the desired replica count is more than the maximum replica count';
      }
      if (stabilized > maxAllowed) replicas = maxAllowed;
    } else if (stabilized < current) {
      const limit = Math.min(scaleDownLimit(current, h.up, h.down, down, now), current);
      let minAllowed = min;
      if (min < limit) {
        minAllowed = limit;
        reason = 'ScaleDownLimit';
        message = 'the desired replica count is decreasing faster than the maximum scale rate';
      } else {
        reason = 'TooFewReplicas';
        message = 'the desired replica count is less than the minimum replica count';
      }
      if (stabilized < minAllowed) replicas = minAllowed;
    }
    if (replicas === stabilized) {
      reason = 'DesiredWithinRange';
      message = 'the desired count is within the acceptable range';
    }
    conditions.push({ type: 'ScalingLimited', status: replicas === stabilized ? 'False' : 'True', reason, message });
    return { replicas, conditions };
  }

  /** Remembers a rescale for the policies' periods (only HPAs with behavior use them). */
  recordScale(key: string, behavior: Behavior | undefined, from: number, to: number, now: number): void {
    if (!behavior || from === to) return;
    const h = this.entry(key);
    const longest = (rules: ScalingRules | undefined) => Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds)) * 1000;
    if (to > from) {
      h.up = h.up.filter((e) => e.at > now - longest(behavior.scaleUp));
      h.up.push({ change: to - from, at: now });
    } else {
      h.down = h.down.filter((e) => e.at > now - longest(behavior.scaleDown));
      h.down.push({ change: from - to, at: now });
    }
  }
}

function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.at > cutoff) sum += e.change;
  return sum;
}

/** The most replicas the scale-up policies allow now, counting from each period's start. */
export function scaleUpLimit(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down policies allow now ("Max" picks the largest change). */
export function scaleDownLimit(current: number, up: ScaleEvent[], down: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, up, now) + changeInPeriod(p.periodSeconds, down, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
