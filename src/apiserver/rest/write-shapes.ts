// What a write keeps of the client's object: the parts of a subresource write taken from the
// request, and the shape comparisons and ordering the store applies before writing.
import type { KObject } from '../../api/types.js';
import { clone } from '../../util/clone.js';

/**
 * Through pods/ephemeralcontainers only spec.ephemeralContainers is taken from the client
 * (Kubernetes' dropNonEphemeralContainerUpdates): metadata, the rest of spec and status stay.
 */
export function ephemeralContainersOnly(current: KObject, input: KObject): KObject {
  const obj = clone(current);
  obj.spec = obj.spec ?? {};
  const list = input.spec?.ephemeralContainers;
  if (list === undefined || list === null) delete obj.spec.ephemeralContainers;
  else obj.spec.ephemeralContainers = clone(list);
  return obj;
}

/**
 * A status update: the stored object with the client's status — and, as Kubernetes' status
 * strategies allow, its labels and annotations (the deployment controller records revisions
 * this way without bumping generation). Spec and everything else stay as stored.
 */
export function statusOnly(current: KObject, input: KObject): KObject {
  const obj = clone(current);
  if (input.status !== undefined) obj.status = input.status;
  else delete obj.status;
  for (const field of ['labels', 'annotations'] as const) {
    if (input.metadata?.[field] !== undefined) obj.metadata![field] = clone(input.metadata[field]);
  }
  return obj;
}

/** certificatesigningrequests/approval: the stored object with the client's status.conditions only. */
export function approvalOnly(current: KObject, input: KObject): KObject {
  const obj = clone(current);
  const conditions = input.status?.conditions;
  obj.status = { ...(obj.status ?? {}) };
  if (conditions === undefined || conditions === null) delete obj.status.conditions;
  else obj.status.conditions = clone(conditions);
  return obj;
}

// managedFields count: a write that changes only ownership (a second applier, a migration
// of client-side apply's entries) is a real write, as in Kubernetes.
export function stripVolatile(obj: KObject): KObject {
  const { metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...m } = metadata ?? {};
  return { ...rest, metadata: m };
}

/** Puts kind and apiVersion first, in place: Go's encoder writes TypeMeta before the rest, and clients that compare bodies see that order. */
export function typeMetaFirst(obj: KObject): void {
  const keys = Object.keys(obj);
  if (keys[0] === 'kind' && keys[1] === 'apiVersion') return;
  const rest = keys.filter((k) => k !== 'kind' && k !== 'apiVersion').map((k) => [k, (obj as Record<string, unknown>)[k]] as const);
  for (const [k] of rest) delete (obj as Record<string, unknown>)[k];
  const { kind, apiVersion } = obj;
  delete obj.kind;
  delete obj.apiVersion;
  Object.assign(obj, { kind, apiVersion }, Object.fromEntries(rest));
}
