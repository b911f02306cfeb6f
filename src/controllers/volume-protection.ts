// The pvc-protection and pv-protection controllers: a claim being deleted keeps its
// finalizer while any pod that is not finished uses it; a volume being deleted keeps its
// finalizer while it is bound. Then the finalizer goes and the deletion completes.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { NAMESPACE_INDEX } from '../client/cache.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isConflict, isNotFound } from '../client/transport.js';
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../api/core/persistentvolume.js';
import type { ControllerContext } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

const finished = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** True when the pod (not yet finished) mounts the claim. */
export function podUsesClaim(pod: Pod, claimName: string): boolean {
  if (finished(pod)) return false;
  return (pod.spec?.volumes ?? []).some(
    (v) => v.persistentVolumeClaim?.claimName === claimName || (v.ephemeral && `${pod.metadata?.name}-${v.name}` === claimName),
  );
}

/** A copy without the finalizer, written back with an update (the verb the controllers' roles grant), conflict-checked by its resourceVersion. */
function withoutFinalizer<T extends { metadata?: { finalizers?: string[]; resourceVersion?: string } }>(obj: T, finalizer: string): T {
  return { ...obj, metadata: { ...obj.metadata, finalizers: (obj.metadata?.finalizers ?? []).filter((f) => f !== finalizer) } };
}

export class PVCProtectionController extends QueueController {
  readonly name = 'pvc-protection';
  private readonly pvcs: SharedInformer<PersistentVolumeClaim>;
  private readonly pods: SharedInformer<Pod>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'pvc protection sync failed', keyField: 'claim' });
    this.pvcs = ctx.informers.informerFor(resources.persistentVolumeClaims);
    this.pods = ctx.informers.informerFor(resources.pods);
    const claim = (c: PersistentVolumeClaim) => {
      if (c.metadata?.deletionTimestamp && c.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER))
        this.queue.add(`${c.metadata.namespace}/${c.metadata.name}`);
    };
    this.pvcs.addEventHandler({ onAdd: claim, onUpdate: (_o, c) => claim(c) });
    // A pod finishing or going away may free the claims it used.
    const pod = (p: Pod) => {
      for (const v of p.spec?.volumes ?? []) {
        const name = v.persistentVolumeClaim?.claimName ?? (v.ephemeral ? `${p.metadata?.name}-${v.name}` : undefined);
        const c = name ? this.pvcs.get(name, p.metadata?.namespace) : undefined;
        if (c) claim(c);
      }
    };
    this.pods.addEventHandler({
      onUpdate: (_o, p) => {
        if (finished(p) || p.metadata?.deletionTimestamp) pod(p);
      },
      onDelete: pod,
    });
  }

  async reconcile(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const pvc = this.pvcs.get(name, ns);
    if (!pvc?.metadata?.deletionTimestamp || !pvc.metadata.finalizers?.includes(PVC_PROTECTION_FINALIZER)) return;
    if (this.pods.store.byIndex(NAMESPACE_INDEX, ns).some((p) => podUsesClaim(p, name))) return;
    // The cache may not have seen a pod created a moment ago: the API has the last word.
    const live = await this.ctx.client.pods.list({ namespace: ns });
    if (live.items.some((p) => podUsesClaim(p, name))) return;
    try {
      await this.ctx.client.resource(resources.persistentVolumeClaims).update(withoutFinalizer(pvc, PVC_PROTECTION_FINALIZER), { namespace: ns });
    } catch (err) {
      if (isConflict(err)) this.queue.addAfter(key, 100);
      else if (!isNotFound(err)) throw err;
    }
  }
}

export class PVProtectionController extends QueueController {
  readonly name = 'pv-protection';
  private readonly pvs: SharedInformer<PersistentVolume>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 1, log: ctx.log, failure: 'pv protection sync failed', keyField: 'volume' });
    this.pvs = ctx.informers.informerFor(resources.persistentVolumes);
    const volume = (v: PersistentVolume) => {
      if (v.metadata?.deletionTimestamp && v.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) this.queue.add(v.metadata.name!);
    };
    this.pvs.addEventHandler({ onAdd: volume, onUpdate: (_o, v) => volume(v) });
  }

  async reconcile(name: string): Promise<void> {
    const pv = this.pvs.get(name);
    if (!pv?.metadata?.deletionTimestamp || !pv.metadata.finalizers?.includes(PV_PROTECTION_FINALIZER)) return;
    if (pv.status?.phase === 'Bound') return;
    try {
      await this.ctx.client.resource(resources.persistentVolumes).update(withoutFinalizer(pv, PV_PROTECTION_FINALIZER));
    } catch (err) {
      if (isConflict(err)) this.queue.addAfter(name, 100);
      else if (!isNotFound(err)) throw err;
    }
  }
}

export const pvcProtectionController = (ctx: ControllerContext): PVCProtectionController => new PVCProtectionController(ctx);
export const pvProtectionController = (ctx: ControllerContext): PVProtectionController => new PVProtectionController(ctx);
