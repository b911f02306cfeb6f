// The local-path provisioner and PV binder: makes sure the default `local-path`
// StorageClass exists; for each pending claim of a class it provisions, creates a hostPath
// PV on the node the scheduler selected (WaitForFirstConsumer) or at once (Immediate);
// binds claims and volumes both ways (PV claimRef, PVC volumeName, both statuses Bound);
// and when a claim is gone, marks its volume Released and — reclaimPolicy Delete — deletes
// the directory and the PV.
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/transport.js';
import { pickDefaultClass } from '../../api/storage/index.js';
import type { ControllerContext } from '../lib/context.js';
import { QueueController } from '../lib/queue-controller.js';
import {
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  HOSTNAME_LABEL,
  PROVISIONED_BY_ANNOTATION,
  PROVISIONER,
  SELECTED_NODE_ANNOTATION,
  STORAGE_PROVISIONER_ANNOTATION,
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  bestMatch,
  claimClass,
  defaultStorageClass,
  provisionedVolume,
  refersTo,
} from './volumes.js';

export interface LocalPathOptions {
  /** Where volumes' directories go: DATA_DIR/storage. */
  storageDir: string;
  /** Create the default StorageClass at start; default true. */
  createDefaultClass?: boolean;
}

/** An unbound claim that never named a class (null, not ""), nor the legacy annotation. */
function needsDefaultClass(pvc: PersistentVolumeClaim): boolean {
  return pvc.spec?.storageClassName == null && !pvc.spec?.volumeName && pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] === undefined;
}

const keyOf = (ns: string | undefined, name: string | undefined) => `pvc:${ns}/${name}`;

export class LocalPathProvisioner extends QueueController {
  readonly name = 'local-path-provisioner';
  private readonly pvcs: SharedInformer<PersistentVolumeClaim>;
  private readonly pvs: SharedInformer<PersistentVolume>;
  private readonly classes: SharedInformer<StorageClass>;
  private readonly nodes: SharedInformer<Node>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: LocalPathOptions,
  ) {
    super({ workers: 2, log: ctx.log, failure: 'volume sync failed', keyField: 'key' });
    this.pvcs = ctx.informers.informerFor(resources.persistentVolumeClaims);
    this.pvs = ctx.informers.informerFor(resources.persistentVolumes);
    this.classes = ctx.informers.informerFor(resources.storageClasses);
    this.nodes = ctx.informers.informerFor(resources.nodes);
    const claim = (c: PersistentVolumeClaim) => this.queue.add(keyOf(c.metadata?.namespace, c.metadata?.name));
    const volume = (v: PersistentVolume) => {
      this.queue.add(`pv:${v.metadata!.name}`);
      const ref = v.spec?.claimRef;
      if (ref?.name) this.queue.add(keyOf(ref.namespace, ref.name));
    };
    this.pvcs.addEventHandler({
      onAdd: claim,
      onUpdate: (_o, c) => claim(c),
      // The claim's volume is released now.
      onDelete: (c) => {
        for (const v of this.pvs.store.list()) if (refersTo(v, c)) this.queue.add(`pv:${v.metadata!.name}`);
      },
    });
    this.pvs.addEventHandler({ onAdd: volume, onUpdate: (_o, v) => volume(v), onDelete: volume });
    // A new class (or one newly made default) may be what pending claims were waiting for.
    const classChanged = (cls: StorageClass) => {
      for (const c of this.pvcs.store.list()) if (!c.spec?.volumeName && (claimClass(c) === cls.metadata?.name || needsDefaultClass(c))) claim(c);
    };
    this.classes.addEventHandler({ onAdd: classChanged, onUpdate: (_o, cls) => classChanged(cls) });
  }

  override async run(): Promise<void> {
    if (this.opts.createDefaultClass !== false) await this.ensureDefaultClass();
    return super.run();
  }

  /** Keys are `pv:<name>` for volumes and `pvc:<namespace>/<name>` for claims. */
  protected reconcile(key: string): Promise<void> {
    return key.startsWith('pv:') ? this.syncVolume(key.slice(3)) : this.syncClaim(key.slice(4));
  }

  private async ensureDefaultClass(): Promise<void> {
    const sc = this.ctx.client.resource(resources.storageClasses);
    // Bounded: the apiserver is up when controllers start; a short retry covers a blip.
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        await sc.create(defaultStorageClass());
        return;
      } catch (err) {
        if (isAlreadyExists(err)) return;
        if (attempt === 9) this.ctx.log.warn('default StorageClass not created', { error: (err as Error).message });
        else await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private get claimsApi() {
    return this.ctx.client.resource(resources.persistentVolumeClaims);
  }

  private get volumesApi() {
    return this.ctx.client.resource(resources.persistentVolumes);
  }

  async syncClaim(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const pvc = this.pvcs.get(name, ns);
    if (!pvc || pvc.metadata?.deletionTimestamp) return;
    if (needsDefaultClass(pvc)) {
      // Created before any default class existed: it gets the default now (as Kubernetes'
      // retroactive default StorageClass assignment), then comes back here.
      const cls = pickDefaultClass(this.classes.store.list() as never);
      if (cls) {
        await this.claimsApi.patch(
          name,
          { metadata: { resourceVersion: pvc.metadata!.resourceVersion }, spec: { storageClassName: cls.metadata!.name } },
          'merge',
          { namespace: ns },
        );
        return;
      }
    }
    const bound = pvc.spec?.volumeName ? this.pvs.get(pvc.spec.volumeName) : undefined;
    if (bound && refersTo(bound, pvc)) return this.markBound(pvc, bound);
    if (pvc.spec?.volumeName && !bound) {
      if (pvc.status?.phase === 'Bound') await this.claimStatus(pvc, { phase: 'Lost' });
      return;
    }
    // A volume already promised to this claim (ours, or pre-bound by a user).
    const promised = this.pvs.store.list().find((v) => refersTo(v, pvc) && !v.metadata?.deletionTimestamp);
    if (promised) return this.bindClaim(pvc, promised);
    const clsName = claimClass(pvc);
    const cls = clsName ? this.classes.get(clsName) : undefined;
    if (cls?.provisioner === PROVISIONER) return this.provision(pvc, cls);
    // Static binding for claims that do not wait for a consumer.
    if (cls?.volumeBindingMode === 'WaitForFirstConsumer') return;
    const match = bestMatch(pvc, this.pvs.store.list());
    if (!match) return;
    const claimRef = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      namespace: ns,
      name,
      uid: pvc.metadata!.uid,
      resourceVersion: pvc.metadata!.resourceVersion,
    };
    try {
      // The resourceVersion guard: two claims must never take the same volume.
      const pv = await this.volumesApi.patch(
        match.metadata!.name!,
        {
          metadata: { resourceVersion: match.metadata!.resourceVersion, annotations: { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } },
          spec: { claimRef },
        },
        'merge',
      );
      await this.bindClaim(pvc, pv, true);
    } catch (err) {
      if (isConflict(err)) this.queue.addAfter(keyOf(ns, name), 100);
      else throw err;
    }
  }

  private async provision(pvc: PersistentVolumeClaim, cls: StorageClass): Promise<void> {
    const selected = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    if (cls.volumeBindingMode === 'WaitForFirstConsumer' && !selected) return;
    if (pvc.metadata?.annotations?.[STORAGE_PROVISIONER_ANNOTATION] !== PROVISIONER) {
      await this.claimsApi.patch(
        pvc.metadata!.name!,
        {
          metadata: { annotations: { [STORAGE_PROVISIONER_ANNOTATION]: PROVISIONER, [BETA_STORAGE_PROVISIONER_ANNOTATION]: PROVISIONER } },
        },
        'merge',
        { namespace: pvc.metadata!.namespace },
      );
    }
    const node = selected ? { name: selected, hostname: this.nodes.get(selected)?.metadata?.labels?.[HOSTNAME_LABEL] } : undefined;
    const pv = provisionedVolume(pvc, cls, this.opts.storageDir, node);
    try {
      await this.volumesApi.create(pv);
      this.ctx.log.info('provisioned volume', { claim: `${pvc.metadata!.namespace}/${pvc.metadata!.name}`, volume: pv.metadata!.name, node: selected });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    // The PV's informer event brings the claim back here for binding.
  }

  /** Points the claim at its volume, then marks both Bound. */
  private async bindClaim(pvc: PersistentVolumeClaim, pv: PersistentVolume, byController = false): Promise<void> {
    let claim = pvc;
    if (pvc.spec?.volumeName !== pv.metadata!.name) {
      claim = await this.claimsApi.patch(
        pvc.metadata!.name!,
        {
          metadata: {
            resourceVersion: pvc.metadata!.resourceVersion,
            annotations: { [BIND_COMPLETED_ANNOTATION]: 'yes', ...(byController ? { [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes' } : {}) },
          },
          spec: { volumeName: pv.metadata!.name },
        },
        'merge',
        { namespace: pvc.metadata!.namespace },
      );
    }
    await this.markBound(claim, pv);
  }

  private async markBound(pvc: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    if (pv.status?.phase !== 'Bound') await this.volumeStatus(pv, 'Bound');
    const st = pvc.status;
    const capacity = pv.spec?.capacity ?? {};
    if (
      st?.phase !== 'Bound' ||
      JSON.stringify(st.capacity ?? {}) !== JSON.stringify(capacity) ||
      JSON.stringify(st.accessModes ?? []) !== JSON.stringify(pv.spec?.accessModes ?? [])
    ) {
      await this.claimStatus(pvc, { phase: 'Bound', capacity, accessModes: pv.spec?.accessModes ?? [] });
    }
  }

  private async claimStatus(pvc: PersistentVolumeClaim, status: NonNullable<PersistentVolumeClaim['status']>): Promise<void> {
    try {
      await this.claimsApi.patch(pvc.metadata!.name!, { status }, 'merge', { namespace: pvc.metadata!.namespace, subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async volumeStatus(pv: PersistentVolume, phase: string): Promise<void> {
    try {
      await this.volumesApi.patch(pv.metadata!.name!, { status: { phase } }, 'merge', { subresource: 'status' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async syncVolume(name: string): Promise<void> {
    const pv = this.pvs.get(name);
    if (!pv || pv.metadata?.deletionTimestamp) return;
    const ref = pv.spec?.claimRef;
    if (!ref?.name) {
      if (pv.status?.phase !== 'Available') await this.volumeStatus(pv, 'Available');
      return;
    }
    const cached = this.pvcs.get(ref.name, ref.namespace);
    if (cached && (!ref.uid || cached.metadata?.uid === ref.uid)) {
      // A claim created before this PV names it gets bound by its own sync.
      if (cached.spec?.volumeName === name && pv.status?.phase !== 'Bound') await this.volumeStatus(pv, 'Bound');
      return;
    }
    // The cache may lag a fresh claim: ask the API before releasing anything.
    try {
      const live = await this.claimsApi.get(ref.name, ref.namespace);
      if (!ref.uid || live.metadata?.uid === ref.uid) return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!ref.uid) return; // Pre-bound by a user to a claim not created yet: keep waiting.
    if (pv.status?.phase !== 'Released' && pv.status?.phase !== 'Failed') await this.volumeStatus(pv, 'Released');
    if (pv.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    if (pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] !== PROVISIONER) {
      // Someone else's volume: the PV controller of Kubernetes would fail it too.
      if (pv.status?.phase !== 'Failed') await this.volumeStatus(pv, 'Failed');
      return;
    }
    await this.deleteVolume(pv);
  }

  private async deleteVolume(pv: PersistentVolume): Promise<void> {
    const dir = pv.spec?.hostPath?.path;
    const root = path.resolve(this.opts.storageDir);
    // Only directories this provisioner owns are ever removed.
    if (dir && path.resolve(dir).startsWith(root + path.sep)) await rm(dir, { recursive: true, force: true });
    try {
      await this.volumesApi.delete(pv.metadata!.name!, { preconditions: { uid: pv.metadata!.uid } });
      this.ctx.log.info('deleted released volume', { volume: pv.metadata!.name });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }
}

export function localPathProvisioner(ctx: ControllerContext): LocalPathProvisioner {
  return new LocalPathProvisioner(ctx, { storageDir: ctx.settings?.localPathStorageDir ?? path.join(tmpdir(), 'skiff-local-path') });
}
