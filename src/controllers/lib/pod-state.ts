// What state a pod is in, as the workload controllers read it: active, terminal, ready,
// available. One definition each, shared by every controller (Kubernetes' podutil and
// controller.IsPodActive).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../api/types.js';

/** The key expectations and events use for a pod: namespace/name. */
export function podKey(pod: KObject): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** Succeeded or Failed: the pod will not run again. */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Neither finished nor being deleted: counts towards what a controller has running. */
export function isPodActive(pod: Pod): boolean {
  return !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

export function podReadyCondition(pod: Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The Ready condition is True (podutil.IsPodReady). */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds at `now` (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/**
 * Phase Running and Ready: what a StatefulSet waits for before the next ordinal
 * (its isRunningAndReady), stricter than isPodReady for a pod whose phase lags its conditions.
 */
export function isPodRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

/** Phase Running and available (the StatefulSet's isRunningAndAvailable). */
export function isPodRunningAndAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}
