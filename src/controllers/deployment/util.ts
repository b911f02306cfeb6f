// Deployment helpers that Kubernetes keeps in deployment/util: the pod-template-hash,
// the revision and replica annotations, surge/unavailability arithmetic, conditions.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../util/time.js';
import { scaledValue } from '../lib/int-or-percent.js';

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const POD_TEMPLATE_HASH = 'pod-template-hash';

// Condition reasons, as Kubernetes spells them.
export const NEW_RS_CREATED = 'NewReplicaSetCreated';
export const FOUND_NEW_RS = 'FoundNewReplicaSet';
export const RS_UPDATED = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE = 'NewReplicaSetAvailable';
export const TIMED_OUT = 'ProgressDeadlineExceeded';
export const PAUSED = 'DeploymentPaused';
export const RESUMED = 'DeploymentResumed';
export const MIN_AVAILABLE = 'MinimumReplicasAvailable';
export const MIN_UNAVAILABLE = 'MinimumReplicasUnavailable';
export const FAILED_RS_CREATE = 'ReplicaSetCreateError';

/** Annotations of the Deployment that are not copied onto its ReplicaSets. */
const NOT_COPIED = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Canonical JSON: sorted keys, null and empty values dropped (they mean "unset"). */
export function canonical(v: unknown): string {
  return JSON.stringify(normalise(v)) ?? 'null';
}

function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalise((v as Record<string, unknown>)[k]);
      if (n === undefined || n === null) continue;
      if (typeof n === 'object' && !Array.isArray(n) && Object.keys(n).length === 0) continue;
      out[k] = n;
    }
    return out;
  }
  return v;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** rand.SafeEncodeString: each character of the decimal hash mapped into a vowel-free alphabet. */
function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** controller.ComputeHash: fnv-32a of the template, then of collisionCount (8 bytes, little-endian). */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonical(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const c = structuredClone(t ?? {}) as PodTemplateSpec;
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH];
  return c;
}

// Cached objects are frozen and replaced, never changed, so a template's canonical form can
// be remembered by identity: a sync compares every ReplicaSet's template with the Deployment's.
const templateKeys = new WeakMap<object, string>();

function templateKey(t: PodTemplateSpec | undefined): string {
  if (!t || !Object.isFrozen(t)) return canonical(withoutHash(t));
  let k = templateKeys.get(t);
  if (k === undefined) templateKeys.set(t, (k = canonical(withoutHash(t))));
  return k;
}

/** EqualIgnoreHash: templates equal but for the pod-template-hash label. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return templateKey(a) === templateKey(b);
}

export const replicasOf = (o: { spec?: { replicas?: number } } | undefined): number => o?.spec?.replicas ?? 0;
export const desired = (d: Deployment): number => d.spec?.replicas ?? 1;

export function revisionOf(rs: ReplicaSet): number {
  const v = Number.parseInt(rs.metadata?.annotations?.[REVISION] ?? '', 10);
  return Number.isFinite(v) ? v : 0;
}

export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down; both zero means one unavailable. */
export function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const ru = d.spec?.strategy?.rollingUpdate;
  const n = desired(d);
  const surge = scaledValue(ru?.maxSurge ?? '25%', n, true);
  let unavailable = scaledValue(ru?.maxUnavailable ?? '25%', n, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || desired(d) === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desired(d));
}

export const sumSpec = (rss: (ReplicaSet | undefined)[]) => rss.reduce((s, rs) => s + (rs ? replicasOf(rs) : 0), 0);
export const sumStatus = (rss: (ReplicaSet | undefined)[], f: 'replicas' | 'readyReplicas' | 'availableReplicas') =>
  rss.reduce((s, rs) => s + ((rs?.status?.[f] as number | undefined) ?? 0), 0);

export const activeOnly = (rss: (ReplicaSet | undefined)[]): ReplicaSet[] => rss.filter((rs): rs is ReplicaSet => !!rs && replicasOf(rs) > 0);

function created(rs: ReplicaSet): number {
  return rs.metadata?.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : 0;
}

/** Oldest first; ties by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0);
}

export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** Larger first; among equals, newer first (ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** Larger first; among equals, older first (ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

export const desiredAnnotation = (rs: ReplicaSet) => intAnnotation(rs, DESIRED_REPLICAS);
export const maxReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, MAX_REPLICAS);

/** Sets desired-/max-replicas on `rs` (a copy); true when something changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desiredReplicas: number, maxReplicas: number): boolean {
  const a = (rs.metadata!.annotations ??= {});
  const d = String(desiredReplicas),
    m = String(maxReplicas);
  if (a[DESIRED_REPLICAS] === d && a[MAX_REPLICAS] === m) return false;
  a[DESIRED_REPLICAS] = d;
  a[MAX_REPLICAS] = m;
  return true;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desiredReplicas: number, maxReplicas: number): boolean {
  const a = rs.metadata?.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desiredReplicas) || a[MAX_REPLICAS] !== String(maxReplicas);
}

/** Copies the Deployment's own annotations onto `rs` (a copy); true when something changed. */
export function copyAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  const a = (rs.metadata!.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (NOT_COPIED.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  return changed;
}

/** SetNewReplicaSetAnnotations; `rs` is a copy. True when something changed. */
export function setNewRSAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyAnnotations(d, rs);
  const a = rs.metadata!.annotations!;
  const old = a[REVISION];
  const oldN = old === undefined ? 0 : Number.parseInt(old, 10);
  if (old !== undefined && !Number.isFinite(oldN)) return false;
  if (oldN < newRevision) {
    a[REVISION] = String(newRevision);
    changed = true;
    if (old) a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${old}` : old;
  }
  if (!exists && setReplicasAnnotations(rs, desired(d), desired(d) + maxSurge(d))) changed = true;
  return changed;
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: string, reason: string, message: string, now: number): DeploymentCondition {
  const t = formatTime(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/** SetDeploymentCondition: same status and reason is a no-op; same status keeps the transition time. */
export function setCondition(status: DeploymentStatus, c: DeploymentCondition): void {
  const conds = (status.conditions ??= []);
  const i = conds.findIndex((x) => x.type === c.type);
  const cur = i >= 0 ? conds[i] : undefined;
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c = { ...c, lastTransitionTime: cur.lastTransitionTime };
  if (i >= 0) conds.splice(i, 1);
  conds.push(c);
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (status.conditions) status.conditions = status.conditions.filter((c) => c.type !== type);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}

/** DeploymentComplete. */
export function isComplete(d: Deployment, s: DeploymentStatus): boolean {
  const n = desired(d);
  return (
    (s.updatedReplicas ?? 0) === n &&
    (s.replicas ?? 0) === n &&
    (s.availableReplicas ?? 0) === n &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** DeploymentProgressing: any sign of progress since the status the Deployment has. */
export function isProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const o = d.status ?? {};
  const oldOld = (o.replicas ?? 0) - (o.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (o.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (o.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (o.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut, judged from the Progressing condition's lastUpdateTime. */
export function isTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE) return false;
  if (c.reason === TIMED_OUT) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet | undefined): number {
  if (d.spec?.strategy?.type === 'Recreate') return desired(d);
  const current = allRSs.reduce((s, rs) => s + replicasOf(rs), 0) + (newRS && !allRSs.includes(newRS) ? replicasOf(newRS) : 0);
  const maxTotal = desired(d) + maxSurge(d);
  const have = newRS ? replicasOf(newRS) : 0;
  if (current >= maxTotal) return have;
  return have + Math.min(maxTotal - current, desired(d) - have);
}
