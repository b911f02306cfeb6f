// ControllerRevisions, shared by StatefulSets and DaemonSets (Kubernetes' controller/history):
// a template's hash (FNV-32a, safe-encoded as rand.SafeEncodeString does) and the revision object itself.
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { KObject } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isAlreadyExists, isNotFound } from '../../client/transport.js';
import { controlledBy, controllerRefFor } from './controller-ref.js';

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function hashOf(data: unknown, collisionCount = 0): string {
  const n = fnv32a(stable(data) + (collisionCount ? String(collisionCount) : ''));
  return String(n)
    .split('')
    .map((d) => ALPHANUMS[Number(d) % ALPHANUMS.length])
    .join('');
}

/** What a revision stores: the part of the spec that rolls out (the template). */
export function revisionData(owner: KObject): { spec: { template: unknown } } {
  const template = structuredClone(owner.spec?.template ?? {});
  return { spec: { template: { ...template, $patch: 'replace' } } };
}

export function newRevision(owner: KObject, apiVersion: string, kind: string, revision: number, labels: Record<string, string>): ControllerRevision {
  const data = revisionData(owner);
  const hash = hashOf(data.spec.template, owner.status?.collisionCount ?? 0);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata!.name}-${hash}`,
      namespace: owner.metadata!.namespace,
      labels: { ...labels, 'controller-revision-hash': hash },
      // The owner's annotations as they were at this revision (kubernetes.io/change-cause among
      // them), as Kubernetes' StatefulSet and DaemonSet controllers copy them.
      ...(owner.metadata?.annotations && Object.keys(owner.metadata.annotations).length ? { annotations: { ...owner.metadata.annotations } } : {}),
      ownerReferences: [controllerRefFor(owner, apiVersion, kind)],
    },
    data,
    revision,
  };
}

/** Same template as the revision's (ignoring the labels the controller adds). */
export function sameTemplate(rev: ControllerRevision, owner: KObject): boolean {
  return stable((rev.data as { spec?: { template?: unknown } })?.spec?.template) === stable(revisionData(owner).spec.template);
}

export interface RevisionDeps {
  client: Client;
  revisions: SharedInformer<ControllerRevision>;
}

/** The owner's revisions, oldest first. */
export function ownedRevisions(deps: RevisionDeps, owner: KObject): ControllerRevision[] {
  return controlledBy(deps.revisions.store, owner).sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
}

/**
 * The revision for the owner's current template: the existing one (renumbered to be the
 * newest when an old template comes back, as a rollback does) or a new one.
 */
export async function ensureUpdateRevision(
  deps: RevisionDeps,
  owner: KObject,
  apiVersion: string,
  kind: string,
  labels: Record<string, string>,
): Promise<ControllerRevision> {
  const revs = ownedRevisions(deps, owner);
  const max = revs.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
  const rc = deps.client.resource(resources.controllerRevisions);
  const match = [...revs].reverse().find((r) => sameTemplate(r, owner));
  if (match) {
    if ((match.revision ?? 0) === max) return match;
    return rc.patch(match.metadata!.name!, { revision: max + 1 }, 'merge', { namespace: match.metadata!.namespace });
  }
  const rev = newRevision(owner, apiVersion, kind, max + 1, labels);
  try {
    return await rc.create(rev, { namespace: owner.metadata!.namespace });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await rc.get(rev.metadata!.name!, owner.metadata!.namespace);
    if (existing.metadata?.ownerReferences?.some((r) => r.uid === owner.metadata?.uid) && sameTemplate(existing, owner)) return existing;
    throw err;
  }
}

/** Deletes the oldest revisions beyond `limit`, never one whose hash is in `live`. */
export async function truncateHistory(deps: RevisionDeps, owner: KObject, limit: number, live: Set<string>): Promise<void> {
  const revs = ownedRevisions(deps, owner).filter((r) => !live.has(r.metadata?.labels?.['controller-revision-hash'] ?? ''));
  const excess = revs.length - limit;
  for (const r of revs.slice(0, Math.max(0, excess))) {
    try {
      await deps.client.resource(resources.controllerRevisions).delete(r.metadata!.name!, { namespace: r.metadata!.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export function revisionHash(rev: ControllerRevision): string {
  return rev.metadata?.labels?.['controller-revision-hash'] ?? rev.metadata!.name!.slice(rev.metadata!.name!.lastIndexOf('-') + 1);
}
