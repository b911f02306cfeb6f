// The controller-ref manager: which objects a controller owns. An object belongs to the
// controller named by its controller ownerReference; orphans that match a controller's
// selector are adopted, and owned objects that stop matching are released — the
// PodControllerRefManager / ReplicaSetControllerRefManager contract of Kubernetes.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../api/types.js';
import type { LabelSelector } from '../../api/selectors.js';
import type { ResourceClient } from '../../client/client.js';
import { isNotFound } from '../../client/transport.js';

export function getControllerOf(obj: KObject): OwnerReference | undefined {
  return (obj.metadata?.ownerReferences as OwnerReference[] | undefined)?.find((r) => r.controller === true);
}

/** The ownerReference a controller puts on what it creates; apiVersion and kind default to the owner's. */
export function controllerRefFor(owner: KObject, apiVersion = owner.apiVersion!, kind = owner.kind!): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata!.name,
    uid: owner.metadata!.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimOptions<T extends KObject> {
  owner: KObject;
  selector: LabelSelector;
  /** Client for the claimed kind (pods, replicasets), used to patch ownerReferences. */
  client: ResourceClient<T>;
  /**
   * Re-reads the owner from the API before the first adoption, so a controller never adopts
   * on behalf of an owner that was deleted (or recreated under the same name) meanwhile.
   */
  fresh(): Promise<KObject | undefined>;
}

/**
 * Returns the objects `owner` controls after adopting matching orphans and releasing owned
 * objects that no longer match. Objects owned by another controller are left alone.
 */
export async function claimObjects<T extends KObject>(objs: readonly T[], opts: ClaimOptions<T>): Promise<T[]> {
  const { owner, selector } = opts;
  const uid = owner.metadata!.uid as string;
  const deleting = !!owner.metadata?.deletionTimestamp;
  const claimed: T[] = [];
  let canAdopt: Promise<boolean> | undefined;
  const errors: Error[] = [];
  for (const obj of objs) {
    const ref = getControllerOf(obj);
    const matches = selector.matches(obj.metadata?.labels);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches || deleting) {
        claimed.push(obj);
        continue;
      }
      try {
        await release(opts.client, obj, uid);
      } catch (err) {
        if (!isNotFound(err)) errors.push(err as Error);
      }
      continue;
    }
    if (deleting || !matches || obj.metadata?.deletionTimestamp) continue;
    canAdopt ??= opts.fresh().then((o) => !!o && o.metadata?.uid === uid && !o.metadata?.deletionTimestamp);
    if (!(await canAdopt)) continue;
    try {
      const adopted = await adopt(opts.client, obj, owner);
      claimed.push(adopted);
    } catch (err) {
      if (!isNotFound(err)) errors.push(err as Error);
    }
  }
  if (errors.length) throw errors[0];
  return claimed;
}

/** Strategic merge on ownerReferences (merge key uid) with the object's uid as precondition. */
async function adopt<T extends KObject>(client: ResourceClient<T>, obj: T, owner: KObject): Promise<T> {
  const patch = { metadata: { uid: obj.metadata!.uid, ownerReferences: [controllerRefFor(owner)] } };
  return client.patch(obj.metadata!.name, patch, 'strategic', { namespace: obj.metadata!.namespace });
}

async function release<T extends KObject>(client: ResourceClient<T>, obj: T, ownerUid: string): Promise<void> {
  await removeOwnerRefs(client, obj, [ownerUid]);
}

/**
 * Drops ownerReferences by uid. When none would remain the field is removed outright (as
 * Kubernetes' omitempty shows it), guarded by resourceVersion so a concurrent addition is
 * not lost; otherwise a strategic delete by uid touches only those entries.
 */
export async function removeOwnerRefs<T extends KObject>(client: ResourceClient<T>, obj: KObject, uids: string[]): Promise<void> {
  const refs = (obj.metadata?.ownerReferences ?? []) as OwnerReference[];
  const left = refs.filter((r) => !uids.includes(r.uid));
  const patch = left.length
    ? { metadata: { uid: obj.metadata!.uid, ownerReferences: uids.map((uid) => ({ $patch: 'delete', uid })) } }
    : { metadata: { uid: obj.metadata!.uid, resourceVersion: obj.metadata!.resourceVersion, ownerReferences: null } };
  await client.patch(obj.metadata!.name, patch, left.length ? 'strategic' : 'merge', { namespace: obj.metadata!.namespace });
}

/** Index name for objects by their controller's uid; orphans are filed under `orphan/<namespace>`. */
export const CONTROLLER_UID_INDEX = 'controllerUid';

/** One function object, so several controllers can add the index to one shared informer. */
export const controllerUidIndex = (obj: KObject): string[] => {
  const ref = getControllerOf(obj);
  return [ref ? ref.uid : `orphan/${obj.metadata?.namespace ?? ''}`];
};

/** Objects in `owner`'s namespace whose controller is `owner`, from an indexed cache. */
export function controlledBy<T extends KObject>(store: { byIndex(index: string, value: string): T[] }, owner: KObject): T[] {
  return store.byIndex(CONTROLLER_UID_INDEX, owner.metadata!.uid).filter((o) => o.metadata?.namespace === owner.metadata?.namespace);
}

/** Objects `owner` controls plus the orphans in its namespace, from an indexed cache. */
export function ownedAndOrphans<T>(store: { byIndex(index: string, value: string): T[] }, owner: KObject): T[] {
  return [...store.byIndex(CONTROLLER_UID_INDEX, owner.metadata!.uid), ...store.byIndex(CONTROLLER_UID_INDEX, `orphan/${owner.metadata!.namespace ?? ''}`)];
}
