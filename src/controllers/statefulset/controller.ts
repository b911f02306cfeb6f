// The StatefulSet controller: pods with stable names and claims, created in order (each
// after the one before is Running and Ready) and removed in reverse — or all at once with
// Parallel — rolled to a new revision from the highest ordinal down to the partition.
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isAlreadyExists, isNotFound } from '../../client/transport.js';
import type { ControllerContext } from '../lib/context.js';
import { ensureUpdateRevision, ownedRevisions, revisionHash, truncateHistory, type RevisionDeps } from '../lib/controller-history.js';
import { CONTROLLER_UID_INDEX, controlledBy, controllerUidIndex } from '../lib/controller-ref.js';
import { ControllerExpectations } from '../lib/expectations.js';
import { watchOwnedPods } from '../lib/owned-pods.js';
import { isPodRunningAndAvailable, isPodRunningAndReady, isPodTerminal, podKey } from '../lib/pod-state.js';
import { QueueController } from '../lib/queue-controller.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { buildClaims, buildSetPod, ordinalOf, templateOf } from './pods.js';
import { BURST_REPLICAS, slowStartBatch } from '../lib/pod-control.js';

const HASH_LABEL = 'controller-revision-hash';

export class StatefulSetController extends QueueController {
  readonly name = 'statefulset';
  private readonly expectations: ControllerExpectations;
  private readonly sets: SharedInformer<StatefulSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly claims: SharedInformer<PersistentVolumeClaim>;
  private readonly revisions: SharedInformer<ControllerRevision>;
  private readonly recorder: EventRecorder;
  private readonly deps: RevisionDeps;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'statefulset sync failed', keyField: 'statefulset' });
    this.expectations = new ControllerExpectations(() => ctx.now());
    this.recorder = ctx.recorder('statefulset-controller');
    this.sets = ctx.informers.informerFor(resources.statefulSets);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.claims = ctx.informers.informerFor(resources.persistentVolumeClaims);
    this.revisions = ctx.informers.informerFor(resources.controllerRevisions);
    this.pods.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    this.revisions.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    this.deps = { client: ctx.client, revisions: this.revisions };
    const enqueue = (s: StatefulSet) => this.queue.add(`${s.metadata!.namespace}/${s.metadata!.name}`);
    this.sets.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_o, n) => enqueue(n),
      onDelete: (s) => this.expectations.delete(`${s.metadata!.namespace}/${s.metadata!.name}`),
    });
    watchOwnedPods(this.pods, 'StatefulSet', this.expectations, (k) => this.queue.add(k));
  }

  async reconcile(key: string): Promise<void> {
    const set = this.sets.store.get(key);
    if (!set || set.metadata?.deletionTimestamp) return;
    if (!this.expectations.satisfied(key)) return;
    const now = this.ctx.now();
    const updateRev = await ensureUpdateRevision(this.deps, set, 'apps/v1', 'StatefulSet', set.spec?.template?.metadata?.labels ?? {});
    const updateHash = revisionHash(updateRev);
    const currentRev = ownedRevisions(this.deps, set).find((r) => r.metadata?.name === set.status?.currentRevision) ?? updateRev;
    const currentHash = revisionHash(currentRev);
    const replicas = set.spec?.replicas ?? 1;
    const start = set.spec?.ordinals?.start ?? 0;
    const parallel = set.spec?.podManagementPolicy === 'Parallel';
    const rolling = (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = rolling ? (set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0) : 0;
    const pods = controlledBy(this.pods.store, set);
    const byOrdinal = new Map<number, Pod>();
    const condemned: Pod[] = [];
    for (const p of pods) {
      const o = ordinalOf(set, p);
      if (o >= start && o < start + replicas) byOrdinal.set(o, p);
      else condemned.push(p);
    }
    const healthy = (p: Pod | undefined) => !!p && !p.metadata?.deletionTimestamp && isPodRunningAndReady(p);

    // Create (and replace finished pods) in ordinal order. Parallel creates the missing ones
    // in slow-start batches, at most BURST_REPLICAS a sync, stopping at the first error.
    let blocked = false;
    const missing: number[] = [];
    for (let o = start; o < start + replicas && !blocked; o++) {
      const pod = byOrdinal.get(o);
      if (!pod) {
        const useCurrent = rolling && o < start + partition;
        if (parallel) {
          if (missing.length < BURST_REPLICAS) missing.push(o);
          continue;
        }
        await this.createPod(key, set, o, useCurrent ? currentRev : updateRev);
        blocked = true;
        continue;
      }
      if (isPodTerminal(pod) && !pod.metadata?.deletionTimestamp) {
        await this.deletePod(key, set, pod);
        if (!parallel) blocked = true;
        continue;
      }
      if (!parallel && !healthy(pod)) blocked = true;
    }
    if (missing.length) {
      const { error } = await slowStartBatch(missing.length, 1, (i) =>
        this.createPod(key, set, missing[i]!, rolling && missing[i]! < start + partition ? currentRev : updateRev),
      );
      if (error) throw error;
    }

    // Scale down from the highest ordinal; OrderedReady waits until the rest are healthy.
    const going = condemned.filter((p) => !p.metadata?.deletionTimestamp).sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));
    if (going.length) {
      if (parallel) for (const p of going) await this.deletePod(key, set, p);
      else if (!blocked && !condemned.some((p) => p.metadata?.deletionTimestamp)) {
        await this.deletePod(key, set, going[0]!);
        blocked = true;
      } else blocked = true;
    }

    // Roll: one pod at a time, from the highest ordinal down to the partition.
    const inRange = [...byOrdinal.values()];
    if (rolling && !blocked && inRange.length === replicas && inRange.every(healthy)) {
      for (let o = start + replicas - 1; o >= start + partition; o--) {
        const p = byOrdinal.get(o)!;
        if (p.metadata?.labels?.[HASH_LABEL] !== updateHash) {
          await this.deletePod(key, set, p);
          break;
        }
      }
    }

    const live = new Set(pods.map((p) => p.metadata?.labels?.[HASH_LABEL] ?? ''));
    live.add(updateHash).add(currentHash);
    await truncateHistory(this.deps, set, set.spec?.revisionHistoryLimit ?? 10, live);
    await this.writeStatus(set, pods, byOrdinal, currentRev, updateRev, now);
  }

  private async createPod(key: string, set: StatefulSet, ordinal: number, rev: ControllerRevision): Promise<void> {
    const ns = set.metadata!.namespace!;
    for (const claim of buildClaims(set, ordinal)) {
      if (this.claims.store.get(`${ns}/${claim.metadata!.name}`)) continue;
      try {
        await this.ctx.client.resource(resources.persistentVolumeClaims).create(claim, { namespace: ns });
        this.recorder.event(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${claim.metadata!.name} Pod ${set.metadata!.name}-${ordinal} in StatefulSet ${set.metadata!.name} success`,
        );
      } catch (err) {
        if (!isAlreadyExists(err)) {
          this.recorder.event(
            set,
            'Warning',
            'FailedCreate',
            `create Claim ${claim.metadata!.name} for Pod ${set.metadata!.name}-${ordinal} in StatefulSet ${set.metadata!.name} failed error: ${(err as Error).message}`,
          );
          throw err;
        }
      }
    }
    const pod = buildSetPod(set, ordinal, templateOf(rev, set), revisionHash(rev));
    this.expectations.expectCreations(key, 1);
    try {
      await this.ctx.client.pods.create(pod, { namespace: ns });
      this.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
    } catch (err) {
      this.expectations.lowerCreations(key);
      if (isAlreadyExists(err)) return;
      this.recorder.event(
        set,
        'Warning',
        'FailedCreate',
        `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${(err as Error).message}`,
      );
      throw err;
    }
  }

  private async deletePod(key: string, set: StatefulSet, pod: Pod): Promise<void> {
    const ordinal = ordinalOf(set, pod);
    const replicas = set.spec?.replicas ?? 1;
    const start = set.spec?.ordinals?.start ?? 0;
    // whenScaled: Delete hands a condemned pod's claims to the garbage collector with the pod.
    if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete' && (ordinal < start || ordinal >= start + replicas)) {
      for (const c of buildClaims(set, ordinal)) {
        const existing = this.claims.store.get(`${set.metadata!.namespace}/${c.metadata!.name}`);
        if (!existing || existing.metadata?.ownerReferences?.some((r) => r.uid === pod.metadata?.uid)) continue;
        // An update, as Kubernetes' StatefulSet controller writes claims (its role grants update, not patch).
        await this.ctx.client
          .resource(resources.persistentVolumeClaims)
          .update(
            {
              ...existing,
              metadata: {
                ...existing.metadata,
                ownerReferences: [
                  ...(existing.metadata?.ownerReferences ?? []),
                  { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid!, controller: false, blockOwnerDeletion: true },
                ],
              },
            },
            { namespace: set.metadata!.namespace },
          )
          .catch((err) => {
            if (!isNotFound(err)) throw err;
          });
      }
    }
    this.expectations.expectDeletions(key, [podKey(pod)]);
    try {
      await this.ctx.client.pods.delete(pod.metadata!.name!, { namespace: pod.metadata!.namespace });
      this.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
    } catch (err) {
      this.expectations.deletionObserved(key, podKey(pod));
      if (!isNotFound(err)) throw err;
    }
  }

  private async writeStatus(
    set: StatefulSet,
    pods: Pod[],
    inRange: Map<number, Pod>,
    currentRev: ControllerRevision,
    updateRev: ControllerRevision,
    now: number,
  ): Promise<void> {
    const live = pods.filter((p) => !isPodTerminal(p));
    const updateHash = revisionHash(updateRev);
    const currentHash = revisionHash(currentRev);
    const minReady = set.spec?.minReadySeconds ?? 0;
    const updated = live.filter((p) => p.metadata?.labels?.[HASH_LABEL] === updateHash).length;
    const replicas = set.spec?.replicas ?? 1;
    const rolledOut = updated === replicas && [...inRange.values()].every((p) => p.metadata?.labels?.[HASH_LABEL] === updateHash) && inRange.size === replicas;
    const current = rolledOut ? updateRev : currentRev;
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata?.generation ?? 1,
      replicas: live.length,
      readyReplicas: live.filter(isPodRunningAndReady).length,
      currentReplicas: rolledOut ? updated : live.filter((p) => p.metadata?.labels?.[HASH_LABEL] === currentHash).length,
      updatedReplicas: updated,
      currentRevision: current.metadata!.name!,
      updateRevision: updateRev.metadata!.name!,
      collisionCount: set.status?.collisionCount ?? 0,
      availableReplicas: live.filter((p) => isPodRunningAndAvailable(p, minReady, now)).length,
    };
    if (minReady && status.readyReplicas !== status.availableReplicas) this.queue.addAfter(`${set.metadata!.namespace}/${set.metadata!.name}`, 1000);
    const prev = { ...(set.status ?? {}) } as StatefulSetStatus;
    delete prev.conditions;
    if (JSON.stringify(status) === JSON.stringify(prev)) return;
    const cur = this.sets.store.get(`${set.metadata!.namespace}/${set.metadata!.name}`) ?? set;
    try {
      await this.ctx.client.statefulSets.updateStatus(
        { ...cur, status: { ...status, ...(cur.status?.conditions ? { conditions: cur.status.conditions } : {}) } },
        { namespace: set.metadata!.namespace },
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const statefulSetController = (ctx: ControllerContext): StatefulSetController => new StatefulSetController(ctx);
