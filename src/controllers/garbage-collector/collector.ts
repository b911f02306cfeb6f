// The garbage collector: deletes objects whose owners are all gone (background), holds an
// owner deleted in the foreground until its blocking dependents are gone (the
// foregroundDeletion finalizer), and orphans dependents of an owner deleted with the
// orphan finalizer before letting it go.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import type { ResourceType } from '../../client/resources.js';
import { isConflict, isNotFound } from '../../client/transport.js';
import type { ControllerContext, ControllerFactory } from '../lib/context.js';
import { removeOwnerRefs } from '../lib/controller-ref.js';
import { QueueController } from '../lib/queue-controller.js';
import { Graph, gvr, UID_INDEX, type Node } from './graph.js';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

const refsOf = (o: KObject): OwnerReference[] => (o.metadata?.ownerReferences ?? []) as OwnerReference[];
const hasFinalizer = (o: KObject, f: string): boolean => ((o.metadata?.finalizers ?? []) as string[]).includes(f);

function itemKey(type: ResourceType, o: KObject): string {
  return `${gvr(type)}\t${o.metadata?.namespace ?? ''}\t${o.metadata!.name}`;
}

export class GarbageCollector extends QueueController {
  readonly name = 'garbage-collector';
  readonly graph: Graph;
  private readonly client: Client;

  constructor(ctx: ControllerContext, workers = 5) {
    super({ workers, log: ctx.log, failure: 'garbage collection failed', keyField: 'item' });
    this.client = ctx.client;
    this.graph = new Graph(ctx.client, ctx.registry, ctx.informers, (type) => ({
      onAdd: (o) => this.added(type, o),
      onUpdate: (old, o) => this.updated(type, old, o),
      onDelete: (o) => this.deleted(o),
    }));
  }

  private added(type: ResourceType, o: KObject): void {
    if (refsOf(o).length || this.finalizing(o)) this.queue.add(itemKey(type, o));
  }

  private updated(type: ResourceType, old: KObject, o: KObject): void {
    if (old.metadata?.resourceVersion === o.metadata?.resourceVersion) return;
    const refsChanged = JSON.stringify(refsOf(old)) !== JSON.stringify(refsOf(o));
    const finalizing =
      this.finalizing(o) && (!old.metadata?.deletionTimestamp || JSON.stringify(old.metadata?.finalizers) !== JSON.stringify(o.metadata?.finalizers));
    if (refsChanged || finalizing) this.queue.add(itemKey(type, o));
    // A dependent on its way out may be what a foreground deletion waits for.
    if (o.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) this.ownersChanged(o);
  }

  private deleted(o: KObject): void {
    for (const { node, obj } of this.graph.dependents(o.metadata!.uid)) this.queue.add(itemKey(node.type, obj));
    this.ownersChanged(o);
  }

  /** Re-examines owners that wait in the foreground for their dependents. */
  private ownersChanged(o: KObject): void {
    for (const ref of refsOf(o)) {
      const node = this.graph.typeOf(ref);
      const owner = node?.informer.store.byIndex(UID_INDEX, ref.uid)[0];
      if (node && owner && hasFinalizer(owner, FOREGROUND)) this.queue.add(itemKey(node.type, owner));
    }
  }

  private finalizing(o: KObject): boolean {
    return !!o.metadata?.deletionTimestamp && (hasFinalizer(o, FOREGROUND) || hasFinalizer(o, ORPHAN));
  }

  override stop(): void {
    this.graph.stop();
    super.stop();
  }

  async reconcile(key: string): Promise<void> {
    const [gvrKey, namespace, name] = key.split('\t') as [string, string, string];
    const node = this.graph.nodes.get(gvrKey);
    const obj = node?.informer.get(name, namespace || undefined);
    if (!node || !obj) return;
    if (obj.metadata?.deletionTimestamp) {
      if (hasFinalizer(obj, ORPHAN)) return this.orphanDependents(node, obj);
      if (hasFinalizer(obj, FOREGROUND)) return this.deleteDependentsFirst(node, obj);
      return;
    }
    if (refsOf(obj).length) await this.checkOwners(node, obj);
  }

  /** Removes this owner from its dependents' ownerReferences, then the orphan finalizer. */
  private async orphanDependents(node: Node, owner: KObject): Promise<void> {
    const uid = owner.metadata!.uid as string;
    for (const { node: dn, obj } of this.graph.dependents(uid)) await this.removeRefs(dn, obj, [uid]);
    await this.removeFinalizer(node, owner, ORPHAN);
  }

  /**
   * Deletes the dependents (in the foreground themselves when they have dependents), and
   * lets the owner go once no dependent with blockOwnerDeletion remains.
   */
  private async deleteDependentsFirst(node: Node, owner: KObject): Promise<void> {
    const uid = owner.metadata!.uid as string;
    let blocking = 0;
    for (const { node: dn, obj } of this.graph.dependents(uid)) {
      const ref = refsOf(obj).find((r) => r.uid === uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (obj.metadata?.deletionTimestamp) continue;
      // A dependent that has other owners still alive stays; it only loses this owner.
      const others = refsOf(obj).filter((r) => r.uid !== uid);
      if (others.length && (await this.anyOwnerAlive(others, obj))) {
        await this.removeRefs(dn, obj, [uid]);
        if (ref?.blockOwnerDeletion) blocking--;
        continue;
      }
      const policy = this.graph.dependents(obj.metadata!.uid).length ? 'Foreground' : 'Background';
      await this.deleteObject(dn, obj, policy);
    }
    if (blocking === 0) await this.removeFinalizer(node, owner, FOREGROUND);
  }

  private async anyOwnerAlive(refs: OwnerReference[], obj: KObject): Promise<boolean> {
    for (const r of refs) {
      const o = await this.graph.owner(r, obj.metadata?.namespace);
      if (o === 'unknown') return true;
      if (o && !(o.metadata?.deletionTimestamp && hasFinalizer(o, FOREGROUND))) return true;
    }
    return false;
  }

  /** Deletes `obj` when none of its owners is alive; drops references to owners that are gone. */
  private async checkOwners(node: Node, obj: KObject): Promise<void> {
    const dangling: string[] = [];
    let solid = 0;
    let waiting = 0;
    for (const ref of refsOf(obj)) {
      const owner = await this.graph.owner(ref, obj.metadata?.namespace);
      if (owner === 'unknown') solid++;
      else if (!owner) dangling.push(ref.uid);
      else if (owner.metadata?.deletionTimestamp && hasFinalizer(owner, FOREGROUND)) waiting++;
      else solid++;
    }
    if (solid > 0) {
      if (dangling.length) await this.removeRefs(node, obj, dangling);
      return;
    }
    let policy: 'Foreground' | 'Background' | 'Orphan';
    if (waiting > 0 && this.graph.dependents(obj.metadata!.uid).length) policy = 'Foreground';
    else if (hasFinalizer(obj, ORPHAN)) policy = 'Orphan';
    else if (hasFinalizer(obj, FOREGROUND)) policy = 'Foreground';
    else policy = 'Background';
    await this.deleteObject(node, obj, policy);
  }

  private async deleteObject(node: Node, obj: KObject, policy: 'Foreground' | 'Background' | 'Orphan'): Promise<void> {
    try {
      await this.client.resource(node.type).delete(obj.metadata!.name, {
        namespace: obj.metadata?.namespace,
        propagationPolicy: policy,
        preconditions: { uid: obj.metadata!.uid },
      });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }

  private async removeRefs(node: Node, obj: KObject, uids: string[]): Promise<void> {
    try {
      await removeOwnerRefs(this.client.resource(node.type), obj, uids);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async removeFinalizer(node: Node, obj: KObject, finalizer: string): Promise<void> {
    const rc = this.client.resource(node.type);
    for (let attempt = 0; attempt < 5; attempt++) {
      let cur: KObject;
      try {
        cur = attempt === 0 ? obj : await rc.get(obj.metadata!.name, obj.metadata?.namespace);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (cur.metadata?.uid !== obj.metadata!.uid || !hasFinalizer(cur, finalizer)) return;
      const finalizers = (cur.metadata!.finalizers as string[]).filter((f) => f !== finalizer);
      try {
        await rc.patch(cur.metadata!.name, { metadata: { finalizers, resourceVersion: cur.metadata!.resourceVersion } }, 'merge', {
          namespace: cur.metadata?.namespace,
        });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`could not remove finalizer ${finalizer} from ${obj.metadata!.name}: too many conflicts`);
  }
}

export const garbageCollectorController: ControllerFactory = (ctx) => new GarbageCollector(ctx);
