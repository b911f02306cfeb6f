// Recreate: all old pods go before any new one starts.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { RolloutContext } from './rollout-context.js';
import { syncRolloutStatus } from './progress.js';
import { calculateStatus, cleanupDeployment } from './sync.js';
import { activeOnly, desired, isComplete, sumStatus } from './util.js';

export async function rolloutRecreate(dc: RolloutContext, d: Deployment, rsList: ReplicaSet[], pods: Map<string, Pod[]>): Promise<void> {
  let { newRS, oldRSs } = await dc.allReplicaSets(d, rsList, false);
  let scaledDown = false;
  const olds: ReplicaSet[] = [];
  for (const rs of oldRSs) {
    if (activeOnly([rs]).length) {
      const r = await dc.scaleReplicaSet(rs, 0, d);
      scaledDown ||= r.scaled;
      olds.push(r.rs);
    } else olds.push(rs);
  }
  oldRSs = olds;
  const all = () => [...oldRSs, ...(newRS ? [newRS] : [])];
  if (scaledDown) return syncRolloutStatus(dc, all(), newRS, d);
  if (oldPodsRunning(newRS, oldRSs, pods)) return syncRolloutStatus(dc, all(), newRS, d);
  if (!newRS) ({ newRS, oldRSs } = await dc.allReplicaSets(d, rsList, true));
  if (newRS) newRS = (await dc.scaleReplicaSet(newRS, desired(d), d)).rs;
  if (isComplete(d, calculateStatus(dc, all(), newRS, d))) await cleanupDeployment(dc, oldRSs, d);
  return syncRolloutStatus(dc, all(), newRS, d);
}

function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], pods: Map<string, Pod[]>): boolean {
  if (sumStatus(oldRSs, 'replicas') > 0) return true;
  for (const [uid, list] of pods) {
    if (newRS && uid === newRS.metadata!.uid) continue;
    for (const p of list) {
      const phase = p.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
