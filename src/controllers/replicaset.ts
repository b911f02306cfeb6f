// The ReplicaSet controller, and the ReplicationController controller that is the same
// loop over a map selector: keep `replicas` active pods that match the selector, adopting
// orphans and releasing strays, and report what exists in status.
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../api/types.js';
import { labelSelectorFromSpec, type LabelSelector } from '../api/selectors.js';
import type { Client } from '../client/client.js';
import type { SharedInformer } from '../client/informer.js';
import { NAMESPACE_INDEX } from '../client/cache.js';
import { resources, type ResourceType } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { ControllerContext, ControllerFactory } from './lib/context.js';
import { claimObjects, CONTROLLER_UID_INDEX, controllerUidIndex, getControllerOf, ownedAndOrphans } from './lib/controller-ref.js';
import { ControllerExpectations } from './lib/expectations.js';
import { BURST_REPLICAS, createPod, deletePod, podsToDelete, slowStartBatch } from './lib/pod-control.js';
import { isPodActive, isPodAvailable, isPodReady, podKey } from './lib/pod-state.js';
import { QueueController } from './lib/queue-controller.js';
import type { EventRecorder } from '../client/event-recorder.js';
import { formatTime } from '../util/time.js';

/** At most this many creations or deletions per sync (Kubernetes' BurstReplicas). */
export { BURST_REPLICAS };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface ReplicaStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** What differs between a ReplicaSet and a ReplicationController. */
export interface ReplicaKind {
  name: string;
  component: string;
  type: ResourceType<KObject>;
  kind: string;
  selector(obj: KObject): LabelSelector;
}

export const replicaSetKind: ReplicaKind = {
  name: 'replicaset',
  component: 'replicaset-controller',
  type: resources.replicaSets as ResourceType<KObject>,
  kind: 'ReplicaSet',
  selector: (rs) => labelSelectorFromSpec(rs.spec?.selector),
};

export const replicationControllerKind: ReplicaKind = {
  name: 'replicationcontroller',
  component: 'replication-controller',
  type: resources.replicationControllers as ResourceType<KObject>,
  kind: 'ReplicationController',
  // An RC's selector is a plain map; empty would select everything, which validation forbids.
  selector: (rc) => labelSelectorFromSpec(rc.spec?.selector ? { matchLabels: rc.spec.selector } : undefined),
};

export class ReplicaSetController extends QueueController {
  readonly name: string;
  readonly expectations: ControllerExpectations;
  private readonly owners: SharedInformer<KObject>;
  private readonly pods: SharedInformer<Pod>;
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly now: () => number;

  constructor(
    ctx: ControllerContext,
    private readonly k: ReplicaKind,
    workers = 5,
  ) {
    super({ workers, log: ctx.log, failure: 'sync failed', keyField: 'key' });
    this.name = k.name;
    this.client = ctx.client;
    this.now = ctx.now;
    this.recorder = ctx.recorder(k.component);
    this.expectations = new ControllerExpectations(ctx.now);
    this.owners = ctx.informers.informerFor(k.type);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.pods.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    this.owners.addEventHandler({
      onAdd: (o) => this.enqueue(o),
      onUpdate: (old, o) => {
        // A lower minReadySeconds or a changed spec can make pods count as available sooner.
        this.enqueue(o);
        void old;
      },
      onDelete: (o) => {
        this.expectations.delete(this.key(o));
        this.enqueue(o);
      },
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (old, p) => this.podUpdated(old, p),
      onDelete: (p) => this.podDeleted(p),
    });
  }

  private key(o: KObject): string {
    return `${o.metadata!.namespace}/${o.metadata!.name}`;
  }

  private enqueue(o: KObject): void {
    this.queue.add(this.key(o));
  }

  /** The owner named by the pod's controllerRef, if it is one of ours and still the same object. */
  private ownerOf(pod: Pod): KObject | undefined {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== this.k.kind) return undefined;
    const o = this.owners.get(ref.name, pod.metadata!.namespace);
    return o && o.metadata!.uid === ref.uid ? o : undefined;
  }

  /** Owners whose selector matches an orphan pod: one of them may adopt it. */
  private matchingOwners(pod: Pod): KObject[] {
    return this.owners.store.byIndex(NAMESPACE_INDEX, pod.metadata!.namespace ?? '').filter((o) => {
      try {
        return this.k.selector(o).matches(pod.metadata?.labels);
      } catch {
        return false;
      }
    });
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const ref = getControllerOf(pod);
    if (ref) {
      const o = this.ownerOf(pod);
      if (!o) return;
      this.expectations.creationObserved(this.key(o));
      this.enqueue(o);
      return;
    }
    for (const o of this.matchingOwners(pod)) this.enqueue(o);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata?.resourceVersion === pod.metadata?.resourceVersion) return;
    if (pod.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // Graceful deletion: the pod is on its way out, count it as deleted now.
      this.podDeleted(pod);
      return;
    }
    const oldRef = getControllerOf(old),
      ref = getControllerOf(pod);
    if (oldRef && oldRef.uid !== ref?.uid) {
      const prev = this.ownerOf(old);
      if (prev) this.enqueue(prev);
    }
    const o = this.ownerOf(pod);
    if (o) {
      this.enqueue(o);
      const minReady = o.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) this.queue.addAfter(this.key(o), minReady * 1000 + 100);
      return;
    }
    if (!ref) {
      const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(pod.metadata?.labels ?? {});
      if (labelsChanged || oldRef) for (const m of this.matchingOwners(pod)) this.enqueue(m);
    }
  }

  private podDeleted(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== this.k.kind) return;
    const key = `${pod.metadata!.namespace}/${ref.name}`;
    this.expectations.deletionObserved(key, podKey(pod));
    const o = this.ownerOf(pod);
    if (o) this.enqueue(o);
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const owner = this.owners.get(name, namespace);
    if (!owner) {
      this.expectations.delete(key);
      return;
    }
    const needsSync = this.expectations.satisfied(key);
    const selector = this.k.selector(owner);
    const active = ownedAndOrphans(this.pods.store, owner).filter(isPodActive);
    const pods = await claimObjects(active, {
      owner,
      selector,
      client: this.client.pods as never,
      fresh: async () => {
        try {
          return await this.client.resource(this.k.type).get(name, namespace);
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
    });
    let manageErr: Error | undefined;
    if (needsSync && !owner.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, pods, owner);
      } catch (err) {
        manageErr = err as Error;
      }
    }
    const status = this.calculateStatus(owner, pods, manageErr);
    await this.updateStatus(owner, status);
    const minReady = owner.spec?.minReadySeconds ?? 0;
    if (!manageErr && minReady > 0 && status.readyReplicas === owner.spec?.replicas && status.availableReplicas !== owner.spec?.replicas)
      this.queue.addAfter(key, minReady * 1000);
    if (manageErr) throw manageErr;
  }

  private async manageReplicas(key: string, pods: Pod[], owner: KObject): Promise<void> {
    const want = owner.spec?.replicas ?? 1;
    let diff = pods.length - want;
    if (diff < 0) {
      diff = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, diff);
      const template = owner.spec!.template as PodTemplateSpec;
      const { ok, error } = await slowStartBatch(diff, 1, async () => {
        try {
          const pod = await createPod(this.client, template, owner);
          this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata!.name}`);
        } catch (err) {
          this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          throw err;
        }
      });
      // Creations that failed or were never tried will not show up in the cache.
      if (ok < diff) this.expectations.lowerCreations(key, diff - ok);
      if (error) throw error;
      return;
    }
    if (diff > 0) {
      diff = Math.min(diff, BURST_REPLICAS);
      const related = this.relatedPods(owner);
      const victims = podsToDelete(pods, related, diff, this.now());
      this.expectations.expectDeletions(key, victims.map(podKey));
      const results = await Promise.allSettled(
        victims.map(async (pod) => {
          try {
            await deletePod(this.client, pod);
            this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata!.name}`);
          } catch (err) {
            this.expectations.deletionObserved(key, podKey(pod));
            if (isNotFound(err)) return;
            this.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
            throw err;
          }
        }),
      );
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    }
  }

  /** Pods of every controller that shares this one's owner (a Deployment's other ReplicaSets). */
  private relatedPods(owner: KObject): Pod[] {
    const parent = getControllerOf(owner);
    if (!parent) return ownedAndOrphans(this.pods.store, owner);
    const siblings = this.owners.store.byIndex(NAMESPACE_INDEX, owner.metadata!.namespace ?? '').filter((o) => getControllerOf(o)?.uid === parent.uid);
    return siblings.flatMap((s) => this.pods.store.byIndex(CONTROLLER_UID_INDEX, s.metadata!.uid));
  }

  private calculateStatus(owner: KObject, pods: Pod[], manageErr: Error | undefined): ReplicaStatus {
    const templateLabels = labelSelectorFromSpec({ matchLabels: owner.spec?.template?.metadata?.labels ?? {} });
    const minReady = owner.spec?.minReadySeconds ?? 0;
    const now = this.now();
    let fully = 0,
      ready = 0,
      available = 0;
    for (const p of pods) {
      if (templateLabels.matches(p.metadata?.labels)) fully++;
      if (isPodReady(p)) ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
    const conditions: Condition[] = [...((owner.status?.conditions as Condition[] | undefined) ?? [])];
    const failureAt = conditions.findIndex((c) => c.type === 'ReplicaFailure');
    if (manageErr && failureAt < 0) {
      const reason = pods.length - (owner.spec?.replicas ?? 1) < 0 ? 'FailedCreate' : 'FailedDelete';
      conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: formatTime(now), reason, message: manageErr.message });
    } else if (!manageErr && failureAt >= 0) conditions.splice(failureAt, 1);
    return {
      replicas: pods.length,
      fullyLabeledReplicas: fully,
      readyReplicas: ready,
      availableReplicas: available,
      observedGeneration: owner.metadata?.generation,
      ...(conditions.length ? { conditions } : {}),
    };
  }

  private async updateStatus(owner: KObject, status: ReplicaStatus): Promise<void> {
    const cur = owner.status ?? {};
    const same =
      (cur.replicas ?? 0) === status.replicas &&
      (cur.fullyLabeledReplicas ?? 0) === status.fullyLabeledReplicas &&
      (cur.readyReplicas ?? 0) === status.readyReplicas &&
      (cur.availableReplicas ?? 0) === status.availableReplicas &&
      cur.observedGeneration === status.observedGeneration &&
      JSON.stringify(cur.conditions ?? []) === JSON.stringify(status.conditions ?? []);
    if (same) return;
    const rc = this.client.resource(this.k.type);
    try {
      await rc.updateStatus({ apiVersion: owner.apiVersion, kind: owner.kind, metadata: owner.metadata, status } as KObject);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }
}

export const replicaSetController: ControllerFactory = (ctx) => new ReplicaSetController(ctx, replicaSetKind);
export const replicationControllerController: ControllerFactory = (ctx) => new ReplicaSetController(ctx, replicationControllerKind);
