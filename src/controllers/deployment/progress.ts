// The Progressing condition: complete, progressing, or stuck past progressDeadlineSeconds.
import type { Deployment, DeploymentCondition, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { RolloutContext } from './rollout-context.js';
import { calculateStatus, sameStatus } from './sync.js';
import {
  getCondition,
  hasProgressDeadline,
  isComplete,
  isProgressing,
  isTimedOut,
  NEW_RS_AVAILABLE,
  newCondition,
  removeCondition,
  RS_UPDATED,
  setCondition,
  TIMED_OUT,
} from './util.js';
import { formatTime } from '../../util/time.js';

function replicaFailures(allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const out: DeploymentCondition[] = [];
  for (const rs of [newRS, ...allRSs.filter((r) => r !== newRS)]) {
    for (const c of rs?.status?.conditions ?? []) {
      if (c.type !== 'ReplicaFailure') continue;
      out.push({
        type: 'ReplicaFailure',
        status: c.status,
        reason: c.reason,
        message: c.message,
        lastUpdateTime: c.lastTransitionTime,
        lastTransitionTime: c.lastTransitionTime,
      });
    }
  }
  return out;
}

export async function syncRolloutStatus(dc: RolloutContext, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const now = dc.now();
  const status = calculateStatus(dc, allRSs, newRS, d);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const cur = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && cur?.reason === NEW_RS_AVAILABLE;
  if (hasProgressDeadline(d) && !complete) {
    const what = newRS ? `ReplicaSet "${newRS.metadata!.name}"` : `Deployment "${d.metadata!.name}"`;
    if (isComplete(d, status)) {
      setCondition(status, newCondition('Progressing', 'True', NEW_RS_AVAILABLE, `${what} has successfully progressed.`, now));
    } else if (isProgressing(d, status)) {
      // Progress moves lastUpdateTime, which restarts the deadline.
      const c = newCondition('Progressing', 'True', RS_UPDATED, `${what} is progressing.`, now);
      if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
      removeCondition(status, 'Progressing');
      setCondition(status, c);
    } else if (isTimedOut(d, status, now)) {
      setCondition(status, newCondition('Progressing', 'False', TIMED_OUT, `${what} has timed out progressing.`, now));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures.length) setCondition(status, failures[0]!);
  else removeCondition(status, 'ReplicaFailure');
  if (sameStatus(d.status, status)) {
    requeueStuck(dc, d, status);
    return;
  }
  await dc.updateStatus(d, status);
  requeueStuck(dc, d, status);
}

/** Looks again when the deadline would pass, so ProgressDeadlineExceeded appears on time. */
function requeueStuck(dc: RolloutContext, d: Deployment, status: typeof d.status): void {
  const c = getCondition(status, 'Progressing');
  if (!hasProgressDeadline(d) || !c || c.reason === TIMED_OUT || c.reason === NEW_RS_AVAILABLE) return;
  if (isComplete(d, status ?? {})) return;
  const from = Date.parse(c.lastUpdateTime ?? formatTime(dc.now()));
  const after = from + d.spec!.progressDeadlineSeconds! * 1000 - dc.now();
  dc.queue.addAfter(`${d.metadata!.namespace}/${d.metadata!.name}`, Math.max(after, 0) + 1000);
}
