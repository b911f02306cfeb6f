// Creating and deleting pods on behalf of a controller, and which pods to delete first
// when scaling down (Kubernetes' ActivePodsWithRanks order).
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import { controllerRefFor } from './controller-ref.js';
import { isPodActive, isPodReady, podReadyCondition } from './pod-state.js';

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/**
 * The pod a controller creates from its template (controller.GetPodFromTemplate): the
 * template's labels, annotations, finalizers and spec, generateName `<owner>-`, and a
 * controller ownerReference (`ref`, by default built from the owner's own kind).
 */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: KObject, ref: OwnerReference = controllerRefFor(owner)): Pod {
  const t = structuredClone(template ?? {}) as PodTemplateSpec;
  const meta = t.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.metadata!.name}-`,
      namespace: owner.metadata!.namespace,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ref],
    },
    spec: t.spec ?? { containers: [] },
  };
}

export async function createPod(client: Client, template: PodTemplateSpec, owner: KObject): Promise<Pod> {
  return client.pods.create(podFromTemplate(template, owner), { namespace: owner.metadata!.namespace });
}

export async function deletePod(client: Client, pod: Pod): Promise<void> {
  await client.pods.delete(pod.metadata!.name!, { namespace: pod.metadata!.namespace, preconditions: { uid: pod.metadata!.uid } });
}

/**
 * Pods one controller creates (or deletes) for one object in one sync, as Kubernetes'
 * burstReplicas / MaxPodCreateDeletePerSync: the rest wait for the next sync, which the
 * creations' own events bring.
 */
export const BURST_REPLICAS = 500;

/**
 * Runs `count` calls of `fn` in batches of 1, 2, 4 … (slowStartBatch): a controller whose
 * creates all fail (quota, admission) learns it after one call, not after hundreds.
 * Returns how many succeeded and the first error.
 */
export async function slowStartBatch(count: number, initial: number, fn: (i: number) => Promise<void>): Promise<{ ok: number; tried: number; error?: Error }> {
  let remaining = count;
  let ok = 0;
  let tried = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const first = tried;
    tried += batch;
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, j) => fn(first + j)));
    let error: Error | undefined;
    for (const r of results) {
      if (r.status === 'fulfilled') ok++;
      else error ??= r.reason as Error;
    }
    if (error) return { ok, tried, error };
    remaining -= batch;
  }
  return { ok, tried };
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const v = Number(pod.metadata?.annotations?.[POD_DELETION_COST]);
  return Number.isFinite(v) ? v : 0;
}

function maxRestarts(pod: Pod): number {
  let m = 0;
  for (const s of pod.status?.containerStatuses ?? []) m = Math.max(m, s.restartCount ?? 0);
  return m;
}

function readySince(pod: Pod): number | undefined {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  return Date.parse(c.lastTransitionTime);
}

/** Times within the same power-of-two age bucket count as equal (LogarithmicScaleDown). */
function logBucket(t: number, now: number): number {
  const d = (now - t) * 1e6; // nanoseconds, as Kubernetes measures
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/**
 * Negative when `a` should be deleted before `b`. `rank`: how many related pods share the
 * pod's node — doubled-up pods go first.
 */
export function comparePodsForDeletion(a: Pod, b: Pod, rankA: number, rankB: number, now: number): number {
  const na = a.spec?.nodeName ?? '',
    nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  const pa = PHASE_ORDER[a.status?.phase ?? 'Pending'] ?? 0,
    pb = PHASE_ORDER[b.status?.phase ?? 'Pending'] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a),
    rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  const ca = deletionCost(a),
    cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  if (ra && rb) {
    const ta = readySince(a),
      tb = readySince(b);
    if (ta !== tb) {
      if (ta === undefined) return -1;
      if (tb === undefined) return 1;
      const diff = logBucket(ta, now) - logBucket(tb, now);
      if (diff !== 0) return diff;
    }
  }
  const rsa = maxRestarts(a),
    rsb = maxRestarts(b);
  if (rsa !== rsb) return rsb - rsa;
  const cta = a.metadata?.creationTimestamp ? Date.parse(a.metadata.creationTimestamp) : undefined;
  const ctb = b.metadata?.creationTimestamp ? Date.parse(b.metadata.creationTimestamp) : undefined;
  if (cta !== ctb) {
    if (cta === undefined) return -1;
    if (ctb === undefined) return 1;
    const diff = logBucket(cta, now) - logBucket(ctb, now);
    if (diff !== 0) return diff;
  }
  const ua = a.metadata?.uid ?? '',
    ub = b.metadata?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** The `n` pods to delete first; `related` (pods of sibling controllers) decides doubling-up. */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], n: number, now: number): Pod[] {
  if (n >= pods.length) return [...pods];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p) || !p.spec?.nodeName) continue;
    onNode.set(p.spec.nodeName, (onNode.get(p.spec.nodeName) ?? 0) + 1);
  }
  const rank = (p: Pod) => (p.spec?.nodeName ? (onNode.get(p.spec.nodeName) ?? 0) : 0);
  const ranked = pods.map((p) => ({ p, r: rank(p) }));
  ranked.sort((x, y) => comparePodsForDeletion(x.p, y.p, x.r, y.r, now));
  return ranked.slice(0, n).map((x) => x.p);
}
