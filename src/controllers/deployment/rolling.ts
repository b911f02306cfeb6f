// RollingUpdate: grow the new ReplicaSet within maxSurge, shrink old ones within
// maxUnavailable, unhealthy old replicas first.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { RolloutContext } from './rollout-context.js';
import { syncRolloutStatus } from './progress.js';
import { calculateStatus, cleanupDeployment } from './sync.js';
import { activeOnly, byCreation, desired, isComplete, maxUnavailable, newRSReplicas, replicasOf, sumSpec, sumStatus } from './util.js';

export async function rolloutRolling(dc: RolloutContext, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const got = await dc.allReplicaSets(d, rsList, true);
  let newRS = got.newRS;
  let oldRSs = got.oldRSs;
  const all = () => [...oldRSs, ...(newRS ? [newRS] : [])];

  if (newRS) {
    const r = await reconcileNewReplicaSet(dc, all(), newRS, d);
    newRS = r.rs;
    if (r.scaled) return syncRolloutStatus(dc, all(), newRS, d);
  }
  const r = await reconcileOldReplicaSets(dc, all(), activeOnly(oldRSs), newRS, d);
  oldRSs = oldRSs.map((rs) => r.updated.get(rs.metadata!.uid!) ?? rs);
  if (r.scaled) return syncRolloutStatus(dc, all(), newRS, d);
  if (isComplete(d, calculateStatus(dc, all(), newRS, d))) await cleanupDeployment(dc, oldRSs, d);
  return syncRolloutStatus(dc, all(), newRS, d);
}

async function reconcileNewReplicaSet(dc: RolloutContext, allRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment) {
  if (replicasOf(newRS) === desired(d)) return { scaled: false, rs: newRS };
  if (replicasOf(newRS) > desired(d)) return dc.scaleReplicaSet(newRS, desired(d), d);
  return dc.scaleReplicaSet(newRS, newRSReplicas(d, allRSs, newRS), d);
}

async function reconcileOldReplicaSets(dc: RolloutContext, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment) {
  const updated = new Map<string, ReplicaSet>();
  if (sumSpec(oldRSs) === 0) return { scaled: false, updated };
  const minAvailable = desired(d) - maxUnavailable(d);
  const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = sumSpec(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return { scaled: false, updated };

  // First remove old replicas that are not available anyway: that costs no availability.
  let cleaned = 0;
  const olds = [...oldRSs].sort(byCreation);
  for (let i = 0; i < olds.length && cleaned < maxScaledDown; i++) {
    const rs = olds[i]!;
    const avail = rs.status?.availableReplicas ?? 0;
    if (replicasOf(rs) === 0 || replicasOf(rs) === avail) continue;
    const n = Math.min(maxScaledDown - cleaned, replicasOf(rs) - avail);
    const res = await dc.scaleReplicaSet(rs, replicasOf(rs) - n, d);
    olds[i] = res.rs;
    updated.set(rs.metadata!.uid!, res.rs);
    cleaned += n;
  }

  // Then available ones, as far as minAvailable allows.
  let scaledDown = 0;
  const all = [...olds, ...(newRS ? [newRS] : [])];
  const availableNow = sumStatus(all, 'availableReplicas');
  if (availableNow > minAvailable) {
    const total = availableNow - minAvailable;
    for (let i = 0; i < olds.length && scaledDown < total; i++) {
      const rs = olds[i]!;
      if (replicasOf(rs) === 0) continue;
      const n = Math.min(replicasOf(rs), total - scaledDown);
      const res = await dc.scaleReplicaSet(rs, replicasOf(rs) - n, d);
      updated.set(rs.metadata!.uid!, res.rs);
      scaledDown += n;
    }
  }
  return { scaled: cleaned + scaledDown > 0, updated };
}
