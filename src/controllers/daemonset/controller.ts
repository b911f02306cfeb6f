// The DaemonSet controller: one pod on every node the set's pod spec admits, pods added and
// removed as nodes come, go and change, rolled to a new template by RollingUpdate
// (maxUnavailable / maxSurge) or, with OnDelete, only as old pods are deleted.
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import type { ControllerContext } from '../lib/context.js';
import { ensureUpdateRevision, revisionHash, truncateHistory } from '../lib/controller-history.js';
import { CONTROLLER_UID_INDEX, controlledBy, controllerRefFor, controllerUidIndex } from '../lib/controller-ref.js';
import { ControllerExpectations } from '../lib/expectations.js';
import { scaledValue } from '../lib/int-or-percent.js';
import { watchOwnedPods } from '../lib/owned-pods.js';
import { podFromTemplate, slowStartBatch } from '../lib/pod-control.js';
import { isPodAvailable, isPodReady, podKey } from '../lib/pod-state.js';
import { QueueController } from '../lib/queue-controller.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { daemonPodNode, pinToNode, shouldRunOn } from './placement.js';

/** Pods one sync may create for a DaemonSet (Kubernetes' BurstReplicas for DaemonSets). */
const DAEMONSET_BURST_REPLICAS = 250;

const HASH_LABEL = 'controller-revision-hash';

export class DaemonSetController extends QueueController {
  readonly name = 'daemonset';
  private readonly expectations: ControllerExpectations;
  private readonly sets: SharedInformer<DaemonSet>;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly revisions: SharedInformer<ControllerRevision>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'daemonset sync failed', keyField: 'daemonset' });
    this.expectations = new ControllerExpectations(() => ctx.now());
    this.recorder = ctx.recorder('daemonset-controller');
    this.sets = ctx.informers.informerFor(resources.daemonSets);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.nodes = ctx.informers.informerFor(resources.nodes);
    this.revisions = ctx.informers.informerFor(resources.controllerRevisions);
    this.pods.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    this.revisions.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    const enqueue = (d: DaemonSet) => this.queue.add(`${d.metadata!.namespace}/${d.metadata!.name}`);
    this.sets.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_o, n) => enqueue(n),
      onDelete: (d) => this.expectations.delete(`${d.metadata!.namespace}/${d.metadata!.name}`),
    });
    watchOwnedPods(this.pods, 'DaemonSet', this.expectations, (k) => this.queue.add(k));
    const all = () => this.sets.store.list().forEach(enqueue);
    this.nodes.addEventHandler({
      onAdd: all,
      onUpdate: (o, n) => {
        if (JSON.stringify(o.metadata?.labels) !== JSON.stringify(n.metadata?.labels) || JSON.stringify(o.spec?.taints) !== JSON.stringify(n.spec?.taints))
          all();
      },
      onDelete: all,
    });
  }

  async reconcile(key: string): Promise<void> {
    const ds = this.sets.store.get(key);
    if (!ds || ds.metadata?.deletionTimestamp) return;
    if (!this.expectations.satisfied(key)) return;
    const now = this.ctx.now();
    const rev = await ensureUpdateRevision(
      { client: this.ctx.client, revisions: this.revisions },
      ds,
      'apps/v1',
      'DaemonSet',
      ds.spec?.template?.metadata?.labels ?? {},
    );
    const hash = revisionHash(rev);
    const pods = controlledBy(this.pods.store, ds);
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = daemonPodNode(p);
      if (!n) continue;
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const nodes = this.nodes.store.list();
    const eligible = new Set(nodes.filter((n) => shouldRunOn(ds.spec!.template.spec!, n)).map((n) => n.metadata!.name!));
    const create: string[] = [];
    const remove: Pod[] = [];
    const nodeByName = new Map(nodes.map((n) => [n.metadata!.name!, n]));
    for (const [node, ps] of byNode) {
      if (eligible.has(node)) continue;
      const n = nodeByName.get(node);
      // Pods already on a node that only gained a NoSchedule taint may stay.
      const staying =
        n && shouldRunOn(ds.spec!.template.spec!, n, true)
          ? ps.filter((p) => !!p.spec?.nodeName && (p.status?.phase === 'Running' || p.status?.phase === 'Pending'))
          : [];
      remove.push(...ps.filter((p) => !p.metadata?.deletionTimestamp && !staying.includes(p)));
    }
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const strategy = ds.spec?.updateStrategy?.type ?? 'RollingUpdate';
    const desired = eligible.size;
    const maxSurge = strategy === 'RollingUpdate' ? scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge, desired, true, 0) : 0;
    const maxUnavailable =
      strategy === 'RollingUpdate' ? scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable, desired, true, maxSurge ? 0 : 1) : 0;
    let unavailable = 0;
    const oldOnNode: { node: string; pod: Pod; available: boolean; newPod?: Pod }[] = [];
    for (const node of eligible) {
      const live = (byNode.get(node) ?? []).filter((p) => !p.metadata?.deletionTimestamp);
      // A failed daemon pod is replaced.
      const failed = live.filter((p) => p.status?.phase === 'Failed');
      remove.push(...failed);
      const running = live
        .filter((p) => p.status?.phase !== 'Failed')
        .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
      if (!running.length) {
        // Wait for a terminating or failed pod to be gone before its replacement.
        if (!failed.length && !(byNode.get(node) ?? []).some((p) => p.metadata?.deletionTimestamp)) create.push(node);
        unavailable++;
        continue;
      }
      const fresh = running.filter((p) => p.metadata?.labels?.[HASH_LABEL] === hash);
      const old = running.filter((p) => p.metadata?.labels?.[HASH_LABEL] !== hash);
      if (fresh.length > 1) remove.push(...fresh.slice(1));
      if (!fresh.length && old.length > 1) remove.push(...old.slice(1));
      const newPod = fresh[0];
      if (old.length && strategy === 'RollingUpdate') {
        const available = isPodAvailable(old[0]!, minReady, now);
        oldOnNode.push({ node, pod: old[0]!, available, newPod });
        if (!available && !(newPod && isPodAvailable(newPod, minReady, now))) unavailable++;
      } else if (!isPodAvailable(running[0]!, minReady, now)) unavailable++;
    }
    if (strategy === 'RollingUpdate') {
      let budget = maxUnavailable - unavailable;
      let surge = maxSurge - oldOnNode.filter((o) => o.newPod).length;
      // Unavailable old pods go first: replacing them costs nothing.
      for (const o of oldOnNode.sort((a, b) => Number(a.available) - Number(b.available))) {
        if (o.newPod) {
          if (isPodAvailable(o.newPod, minReady, now)) remove.push(o.pod);
        } else if (!o.available) remove.push(o.pod);
        else if (maxSurge > 0 && surge > 0) {
          create.push(o.node);
          surge--;
        } else if (budget > 0) {
          remove.push(o.pod);
          budget--;
        }
      }
    }
    await this.apply(key, ds, hash, create, [...new Set(remove)]);
    if (!remove.length && !create.length && minReady) this.queue.addAfter(key, 1000);
    const live = new Set(pods.map((p) => p.metadata?.labels?.[HASH_LABEL] ?? ''));
    live.add(hash);
    await truncateHistory({ client: this.ctx.client, revisions: this.revisions }, ds, ds.spec?.revisionHistoryLimit ?? 10, live);
    await this.writeStatus(ds, pods, eligible, hash, now);
  }

  private async apply(key: string, ds: DaemonSet, hash: string, create: string[], remove: Pod[]): Promise<void> {
    if (create.length) {
      // Kubernetes' DaemonSet controller: at most burstReplicas (250) per sync, in slow-start batches.
      const nodes = create.slice(0, DAEMONSET_BURST_REPLICAS);
      this.expectations.expectCreations(key, nodes.length);
      const { tried, error } = await slowStartBatch(nodes.length, 1, async (i) => {
        const pod = podFromTemplate(ds.spec!.template, ds, controllerRefFor(ds, 'apps/v1', 'DaemonSet'));
        pod.metadata!.labels = { ...pod.metadata!.labels, [HASH_LABEL]: hash, 'pod-template-generation': String(ds.metadata?.generation ?? 1) };
        pinToNode(pod.spec!, nodes[i]!);
        try {
          const made = await this.ctx.client.pods.create(pod, { namespace: ds.metadata!.namespace });
          this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata!.name}`);
        } catch (err) {
          this.expectations.lowerCreations(key);
          this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
          throw err;
        }
      });
      if (tried < nodes.length) this.expectations.lowerCreations(key, nodes.length - tried);
      if (error) throw error;
    }
    if (remove.length) {
      this.expectations.expectDeletions(key, remove.map(podKey));
      await Promise.all(
        remove.map(async (p) => {
          try {
            await this.ctx.client.pods.delete(p.metadata!.name!, { namespace: p.metadata!.namespace });
            this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
          } catch (err) {
            this.expectations.deletionObserved(key, podKey(p));
            if (!isNotFound(err)) throw err;
          }
        }),
      );
    }
  }

  private async writeStatus(ds: DaemonSet, pods: Pod[], eligible: Set<string>, hash: string, now: number): Promise<void> {
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const scheduled = new Set<string>();
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    const counted = new Set<string>();
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp || p.status?.phase === 'Failed') continue;
      const node = p.spec?.nodeName;
      if (!node) continue;
      if (!eligible.has(node)) {
        misscheduled++;
        continue;
      }
      scheduled.add(node);
      if (counted.has(node)) continue;
      counted.add(node);
      if (isPodReady(p)) ready++;
      if (isPodAvailable(p, minReady, now)) available++;
      if (p.metadata?.labels?.[HASH_LABEL] === hash) updated++;
    }
    const status: DaemonSetStatus = {
      ...(ds.status?.collisionCount !== undefined ? { collisionCount: ds.status.collisionCount } : {}),
      currentNumberScheduled: scheduled.size,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: eligible.size,
      numberReady: ready,
      observedGeneration: ds.metadata?.generation ?? 1,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      ...(eligible.size - available > 0 ? { numberUnavailable: eligible.size - available } : {}),
    };
    if (JSON.stringify(status) === JSON.stringify(ds.status ?? {})) return;
    const cur = this.sets.store.get(`${ds.metadata!.namespace}/${ds.metadata!.name}`) ?? ds;
    try {
      await this.ctx.client.daemonSets.updateStatus({ ...cur, status }, { namespace: ds.metadata!.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const daemonSetController = (ctx: ControllerContext): DaemonSetController => new DaemonSetController(ctx);
