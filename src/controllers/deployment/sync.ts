// Scaling without rolling out (paused Deployments and scaling events), proportional
// scaling across ReplicaSets mid-rollout, status calculation and revision-history cleanup.
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { RolloutContext } from './rollout-context.js';
import {
  activeOnly,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  canonical,
  desired,
  desiredAnnotation,
  getCondition,
  hasProgressDeadline,
  isRollingUpdate,
  maxReplicasAnnotation,
  maxSurge,
  maxUnavailable,
  MIN_AVAILABLE,
  MIN_UNAVAILABLE,
  newCondition,
  PAUSED,
  replicasOf,
  RESUMED,
  setCondition,
  sumSpec,
  sumStatus,
  TIMED_OUT,
} from './util.js';

export async function syncStatusOnly(dc: RolloutContext, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await dc.allReplicaSets(d, rsList, false);
  await syncDeploymentStatus(dc, [...oldRSs, ...(newRS ? [newRS] : [])], newRS, d);
}

/** dc.sync in Kubernetes: scale what exists, no rollout. */
export async function syncOnly(dc: RolloutContext, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await dc.allReplicaSets(d, rsList, false);
  const rss = await scale(dc, d, newRS, oldRSs);
  if (d.spec?.paused) await cleanupDeployment(dc, rss.oldRSs, d);
  await syncDeploymentStatus(dc, [...rss.oldRSs, ...(rss.newRS ? [rss.newRS] : [])], rss.newRS, d);
}

/** A scaling event: some active ReplicaSet was sized for a different replica count. */
export async function isScalingEvent(dc: RolloutContext, d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await dc.allReplicaSets(d, rsList, false);
  for (const rs of activeOnly([...oldRSs, newRS])) {
    const want = desiredAnnotation(rs);
    if (want !== undefined && want !== desired(d)) return true;
  }
  return false;
}

export async function checkPausedConditions(dc: RolloutContext, d: Deployment): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, 'Progressing');
  if (cond?.reason === TIMED_OUT) return;
  const pausedCond = cond?.reason === PAUSED;
  const status = structuredClone(d.status ?? {}) as DeploymentStatus;
  if (d.spec?.paused && !pausedCond) setCondition(status, newCondition('Progressing', 'Unknown', PAUSED, 'Deployment is paused', dc.now()));
  else if (!d.spec?.paused && pausedCond) setCondition(status, newCondition('Progressing', 'Unknown', RESUMED, 'Deployment is resumed', dc.now()));
  else return;
  await dc.updateStatus(d, status);
}

function activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && !oldRSs.length) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeOnly([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const n = desired(d);
  return desiredAnnotation(rs) === n && replicasOf(rs) === n && (rs.status?.availableReplicas ?? 0) === n;
}

/** GetProportion: this ReplicaSet's share of replicas to add (or remove). */
function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (desired(d) === 0) fraction = -replicasOf(rs);
  else {
    const total = desired(d) + maxSurge(d);
    const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
    const size = annotated === 0 ? replicasOf(rs) : (replicasOf(rs) * total) / annotated;
    fraction = Math.sign(size) * Math.round(Math.abs(size)) - replicasOf(rs);
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

type Sets = { newRS?: ReplicaSet; oldRSs: ReplicaSet[] };

function replaceIn(sets: Sets, before: ReplicaSet, after: ReplicaSet): void {
  if (sets.newRS === before) sets.newRS = after;
  const i = sets.oldRSs.indexOf(before);
  if (i >= 0) sets.oldRSs[i] = after;
}

/** dc.scale: sizes ReplicaSets for spec.replicas, proportionally when several are active. */
export async function scale(dc: RolloutContext, d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<Sets> {
  const sets: Sets = { newRS, oldRSs: [...oldRSs] };
  const one = activeOrLatest(newRS, oldRSs);
  if (one) {
    if (replicasOf(one) !== desired(d)) replaceIn(sets, one, (await dc.scaleReplicaSet(one, desired(d), d)).rs);
    return sets;
  }
  if (isSaturated(d, newRS)) {
    for (const rs of activeOnly(oldRSs)) replaceIn(sets, rs, (await dc.scaleReplicaSet(rs, 0, d)).rs);
    return sets;
  }
  if (!isRollingUpdate(d)) return sets;
  const all = activeOnly([...oldRSs, newRS]);
  const allowed = desired(d) > 0 ? desired(d) + maxSurge(d) : 0;
  const toAdd = allowed - sumSpec(all);
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  let added = 0;
  const sizes = new Map<ReplicaSet, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs, replicasOf(rs));
  }
  // Rounding leftovers go to the largest ReplicaSet.
  if (all.length && toAdd !== 0) sizes.set(all[0]!, Math.max(0, sizes.get(all[0]!)! + toAdd - added));
  for (const rs of all) replaceIn(sets, rs, (await dc.scaleReplicaSet(rs, sizes.get(rs)!, d)).rs);
  return sets;
}

/** Deletes the oldest unused ReplicaSets beyond revisionHistoryLimit. */
export async function cleanupDeployment(dc: RolloutContext, oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
  const limit = d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp).sort(byRevision);
  const diff = cleanable.length - limit;
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i]!;
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await dc.client.replicaSets.delete(rs.metadata!.name!, { namespace: rs.metadata!.namespace, preconditions: { uid: rs.metadata!.uid } });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
}

export function calculateStatus(dc: RolloutContext, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): DeploymentStatus {
  const available = sumStatus(allRSs, 'availableReplicas');
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation,
    replicas: sumStatus(allRSs, 'replicas'),
    updatedReplicas: sumStatus([newRS], 'replicas'),
    readyReplicas: sumStatus(allRSs, 'readyReplicas'),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sumSpec(allRSs) - available),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
    conditions: structuredClone(d.status?.conditions ?? []),
  };
  if (available >= desired(d) - maxUnavailable(d))
    setCondition(status, newCondition('Available', 'True', MIN_AVAILABLE, 'Deployment has minimum availability.', dc.now()));
  else setCondition(status, newCondition('Available', 'False', MIN_UNAVAILABLE, 'Deployment does not have minimum availability.', dc.now()));
  return status;
}

export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return canonical(a ?? {}) === canonical(b);
}

export async function syncDeploymentStatus(dc: RolloutContext, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const status = calculateStatus(dc, allRSs, newRS, d);
  if (sameStatus(d.status, status)) return;
  await dc.updateStatus(d, status);
}
