// The Deployment controller: owns ReplicaSets named <deployment>-<pod-template-hash>, one
// per distinct pod template, and moves replicas from old to new by the chosen strategy.
// Structure follows Kubernetes' deployment controller: this file holds the queue, the
// event handlers and the ReplicaSet bookkeeping; strategies live beside it.
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import type { Client } from '../../client/client.js';
import { NAMESPACE_INDEX } from '../../client/cache.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isAlreadyExists, isNotFound } from '../../client/transport.js';
import type { Logger } from '../../util/log.js';
import type { ControllerContext, ControllerFactory } from '../lib/context.js';
import { claimObjects, CONTROLLER_UID_INDEX, controllerRefFor, controllerUidIndex, getControllerOf, ownedAndOrphans } from '../lib/controller-ref.js';
import { QueueController } from '../lib/queue-controller.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { rolloutRecreate } from './recreate.js';
import type { RolloutContext } from './rollout-context.js';
import { rolloutRolling } from './rolling.js';
import { checkPausedConditions, isScalingEvent, syncOnly, syncStatusOnly } from './sync.js';
import {
  byCreation,
  computeHash,
  desired,
  equalIgnoreHash,
  FAILED_RS_CREATE,
  FOUND_NEW_RS,
  getCondition,
  hasProgressDeadline,
  maxRevision,
  maxSurge,
  NEW_RS_CREATED,
  newRSReplicas,
  newCondition,
  POD_TEMPLATE_HASH,
  REVISION,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  setCondition,
  setNewRSAnnotations,
  setReplicasAnnotations,
} from './util.js';

export class DeploymentController extends QueueController implements RolloutContext {
  readonly name = 'deployment';
  readonly client: Client;
  readonly log: Logger;
  readonly recorder: EventRecorder;
  readonly now: () => number;
  readonly deployments: SharedInformer<Deployment>;
  readonly replicaSets: SharedInformer<ReplicaSet>;
  readonly pods: SharedInformer<Pod>;

  constructor(ctx: ControllerContext, workers = 5) {
    super({ workers, log: ctx.log, failure: 'sync failed', keyField: 'key' });
    this.client = ctx.client;
    this.log = ctx.log;
    this.now = ctx.now;
    this.recorder = ctx.recorder('deployment-controller');
    this.deployments = ctx.informers.informerFor(resources.deployments);
    this.replicaSets = ctx.informers.informerFor(resources.replicaSets);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.replicaSets.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    this.pods.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    this.deployments.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_o, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    this.replicaSets.addEventHandler({
      onAdd: (rs) => this.rsChanged(undefined, rs),
      onUpdate: (old, rs) => this.rsChanged(old, rs),
      onDelete: (rs) => this.rsChanged(undefined, rs),
    });
    this.pods.addEventHandler({ onDelete: (p) => this.podDeleted(p) });
  }

  enqueue(d: Deployment): void {
    this.queue.add(`${d.metadata!.namespace}/${d.metadata!.name}`);
  }

  private ownerOf(obj: ReplicaSet): Deployment | undefined {
    const ref = getControllerOf(obj);
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(ref.name, obj.metadata!.namespace);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  private rsChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const d = this.ownerOf(rs);
    if (d) this.enqueue(d);
    const prev = old && getControllerOf(old)?.uid !== getControllerOf(rs)?.uid ? this.ownerOf(old) : undefined;
    if (prev) this.enqueue(prev);
    if (!getControllerOf(rs)) {
      for (const cand of this.deployments.store.byIndex(NAMESPACE_INDEX, rs.metadata!.namespace ?? '')) {
        try {
          if (labelSelectorFromSpec(cand.spec?.selector).matches(rs.metadata?.labels)) this.enqueue(cand);
        } catch {
          /* an invalid selector adopts nothing */
        }
      }
    }
  }

  /** Recreate waits for old pods to be gone; a deletion may be what it waits for. */
  private podDeleted(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(ref.name, pod.metadata!.namespace);
    const d = rs && this.ownerOf(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const cached = this.deployments.get(name, namespace);
    if (!cached) return;
    const d = structuredClone(cached) as Deployment;
    // The template is only read: keep the cache's frozen one, whose comparison key is memoised.
    if (d.spec && cached.spec?.template) (d.spec as { template: unknown }).template = cached.spec.template;
    const selector = labelSelectorFromSpec(d.spec?.selector);
    if (selector.empty) {
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
        await this.updateStatus(d, { ...d.status, observedGeneration: d.metadata?.generation });
      }
      return;
    }
    const rsList = await this.replicaSetsFor(d);
    if (d.metadata?.deletionTimestamp) return syncStatusOnly(this, d, rsList);
    await checkPausedConditions(this, d);
    if (d.spec?.paused) return syncOnly(this, d, rsList);
    if (await isScalingEvent(this, d, rsList)) return syncOnly(this, d, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(this, d, rsList, this.podsByReplicaSet(rsList));
    return rolloutRolling(this, d, rsList);
  }

  private async replicaSetsFor(d: Deployment): Promise<ReplicaSet[]> {
    const candidates = ownedAndOrphans(this.replicaSets.store, d);
    return claimObjects(candidates, {
      owner: d,
      selector: labelSelectorFromSpec(d.spec?.selector),
      client: this.client.replicaSets,
      fresh: async () => {
        try {
          return await this.client.deployments.get(d.metadata!.name!, d.metadata!.namespace);
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    });
  }

  podsByReplicaSet(rsList: ReplicaSet[]): Map<string, Pod[]> {
    const m = new Map<string, Pod[]>();
    for (const rs of rsList) m.set(rs.metadata!.uid!, this.pods.store.byIndex(CONTROLLER_UID_INDEX, rs.metadata!.uid!));
    return m;
  }

  /**
   * The ReplicaSet whose template is the Deployment's (the oldest such, if several) and the
   * others; with `create`, makes the new one when missing. Keeps revision annotations in step.
   */
  async allReplicaSets(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const sorted = [...rsList].sort(byCreation);
    const found = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
    const oldRSs = sorted.filter((rs) => rs !== found);
    const newRS = await this.newReplicaSet(d, found, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async newReplicaSet(d: Deployment, existing: ReplicaSet | undefined, oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      let rs = existing;
      const copy = structuredClone(existing) as ReplicaSet;
      const changed = setNewRSAnnotations(d, copy, newRevision, true);
      if (changed || (copy.spec!.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0)) {
        copy.spec!.minReadySeconds = d.spec?.minReadySeconds ?? 0;
        rs = await this.client.replicaSets.update(copy);
      }
      let needsUpdate = await this.setDeploymentRevision(d, rs.metadata?.annotations?.[REVISION]);
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        d.status ??= {};
        setCondition(d.status, newCondition('Progressing', 'True', FOUND_NEW_RS, `Found new replica set "${rs.metadata!.name}"`, this.now()));
        needsUpdate = true;
      }
      if (needsUpdate) await this.updateStatus(d, d.status ?? {});
      return rs;
    }
    if (!create) return undefined;

    const hash = computeHash(d.spec!.template, d.status?.collisionCount);
    const template = structuredClone(d.spec!.template);
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata!.name}-${hash}`,
        namespace: d.metadata!.namespace,
        ownerReferences: [controllerRefFor({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' })],
        labels: { ...(template.metadata.labels ?? {}) },
        annotations: {},
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    const allRSs = [...oldRSs];
    rs.spec!.replicas = newRSReplicas(d, allRSs, undefined);
    setNewRSAnnotations(d, rs, newRevision, false);

    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.client.replicaSets.create(rs);
    } catch (err) {
      if (isAlreadyExists(err)) {
        const other = await this.client.replicaSets.get(rs.metadata!.name!, d.metadata!.namespace);
        const ref = getControllerOf(other);
        if (ref?.uid === d.metadata!.uid && equalIgnoreHash(other.spec?.template, d.spec?.template)) {
          created = other;
          alreadyExists = true;
        } else {
          // A different template hashed to the same name: bump collisionCount and try again.
          d.status ??= {};
          d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
          await this.updateStatus(d, d.status);
          throw new Error(`hash collision for replica set ${rs.metadata!.name}; collisionCount is now ${d.status.collisionCount}`);
        }
      } else {
        const msg = `Failed to create new replica set "${rs.metadata!.name}": ${(err as Error).message}`;
        if (hasProgressDeadline(d)) {
          d.status ??= {};
          setCondition(d.status, newCondition('Progressing', 'False', FAILED_RS_CREATE, msg, this.now()));
          await this.updateStatus(d, d.status).catch(() => undefined);
        }
        this.recorder.event(d, 'Warning', FAILED_RS_CREATE, msg);
        throw err;
      }
    }
    if (!alreadyExists && replicasOf(created) > 0)
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata!.name} from 0 to ${replicasOf(created)}`);
    let needsUpdate = await this.setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      d.status ??= {};
      setCondition(d.status, newCondition('Progressing', 'True', NEW_RS_CREATED, `Created new replica set "${created.metadata!.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.updateStatus(d, d.status ?? {});
    return created;
  }

  /**
   * Sets the revision annotation on `d`; the caller writes it with the status, as Kubernetes
   * does (UpdateStatus), so recording a revision does not bump the Deployment's generation.
   */
  private async setDeploymentRevision(d: Deployment, revision: string | undefined): Promise<boolean> {
    if (!revision || d.metadata?.annotations?.[REVISION] === revision) return false;
    d.metadata!.annotations = { ...(d.metadata!.annotations ?? {}), [REVISION]: revision };
    return true;
  }

  /** Scales `rs` to `newScale` (and refreshes its replica annotations); records ScalingReplicaSet. */
  async scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const sizeChange = replicasOf(rs) !== newScale;
    const max = desired(d) + maxSurge(d);
    if (!sizeChange && !replicasAnnotationsNeedUpdate(rs, desired(d), max)) return { scaled: false, rs };
    const copy = structuredClone(rs) as ReplicaSet;
    copy.spec!.replicas = newScale;
    setReplicasAnnotations(copy, desired(d), max);
    const updated = await this.client.replicaSets.update(copy);
    if (sizeChange) {
      const op = replicasOf(rs) < newScale ? 'up' : 'down';
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata!.name} from ${replicasOf(rs)} to ${newScale}`);
    }
    return { scaled: sizeChange, rs: updated };
  }

  async updateStatus(d: Deployment, status: DeploymentStatus): Promise<void> {
    // /status takes only status (and the resourceVersion guard) from the body; the spec stays out.
    const updated = await this.client.deployments.updateStatus({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: d.metadata, status });
    d.status = status;
    (d.metadata as { resourceVersion?: string }).resourceVersion = updated.metadata!.resourceVersion;
  }
}

export const deploymentController: ControllerFactory = (ctx) => new DeploymentController(ctx);
