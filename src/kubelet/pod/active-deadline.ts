// spec.activeDeadlineSeconds as the kubelet enforces it: counted from status.startTime (when
// this node first reported the pod), after which the pod fails with DeadlineExceeded and its
// containers are stopped. Terminal pods are left alone.
import type { Pod } from 'kubernetes-types/core/v1.js';

export const DEADLINE_REASON = 'DeadlineExceeded';
export const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

export type ActiveDeadline =
  | { exceeded: true; reason: string; message: string }
  | { exceeded: false /** ms until the deadline; undefined when there is none to wait for. */; inMs?: number };

export function activeDeadline(pod: Pod, now: number): ActiveDeadline {
  const seconds = pod.spec?.activeDeadlineSeconds;
  const start = Date.parse(pod.status?.startTime ?? '');
  const phase = pod.status?.phase;
  if (seconds === undefined || seconds === null || Number.isNaN(start) || phase === 'Succeeded' || phase === 'Failed') return { exceeded: false };
  const due = start + seconds * 1000;
  if (now >= due) return { exceeded: true, reason: DEADLINE_REASON, message: DEADLINE_MESSAGE };
  return { exceeded: false, inMs: due - now };
}
