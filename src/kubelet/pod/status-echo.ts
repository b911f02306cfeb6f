// A pod update that is only this worker's own status write coming back on the watch. As the
// kubelet's pod config tells its workers only of changes to spec, labels, annotations and
// deletion (status is the kubelet's own to write), such an echo needs no sync: the sync that
// wrote it has already looked at the runtime, and container changes arrive as their own events.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { statusChanged } from './status.js';

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b);

/** `cur` differs from `old` in nothing but its status, and that status is `written`. */
export function isOwnStatusEcho(old: Pod | undefined, cur: Pod | undefined, written: PodStatus | undefined): boolean {
  if (!old || !cur || !written) return false;
  const a = old.metadata ?? {};
  const b = cur.metadata ?? {};
  if (a.uid !== b.uid || a.generation !== b.generation || a.deletionTimestamp !== b.deletionTimestamp) return false;
  if (a.deletionGracePeriodSeconds !== b.deletionGracePeriodSeconds) return false;
  if (!same(a.labels, b.labels) || !same(a.annotations, b.annotations) || !same(a.finalizers, b.finalizers)) return false;
  if (!same(old.spec, cur.spec)) return false;
  return !statusChanged(written, cur.status);
}
