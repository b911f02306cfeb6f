// The scheduler: informers feed the cache (bound pods, nodes) and the queue (pending pods
// of our profiles); one loop takes the next pod, runs its profile's framework
// synchronously (so the cache cannot change mid-decision), assumes the pod on the chosen
// node, and binds it asynchronously so the next decision need not wait for the API.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../api/types.js';
import { labelSelectorFromSpec, type LabelSelector } from '../api/selectors.js';
import type { Client } from '../client/client.js';
import { NAMESPACE_INDEX } from '../client/cache.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { ClientEventRecorder, type EventRecorder } from '../client/event-recorder.js';
import { SchedulerCache } from './cache.js';
import { defaultConfig, type SchedulerConfig } from './config.js';
import { FitError, type Framework } from './framework.js';
import { PodInfo } from './pod-info.js';
import { buildFramework } from './profile.js';
import { SchedulingQueue } from './queue.js';
import { Code, CycleState, type ClusterEvent } from './types.js';
import { formatTime } from '../util/time.js';
import type { AttemptResult, SchedulerMetrics } from './metrics.js';
import { fairTurn } from '../util/turns.js';

export interface SchedulerOptions {
  client: Client;
  log: Logger;
  config?: SchedulerConfig;
  /** Share a factory with other components; default: a new one. */
  informers?: SharedInformerFactory;
  recorder?: EventRecorder;
  /** Record a Normal "Scheduled" event per bound pod, as kube-scheduler does; default true. */
  scheduledEvents?: boolean;
  /** Prometheus series of the queue and of every attempt. */
  metrics?: SchedulerMetrics;
}

const isTerminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class Scheduler {
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly frameworks = new Map<string, Framework>();
  private readonly informers: SharedInformerFactory;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly priorityClasses: SharedInformer<KObject>;
  /** One per profile, named for its schedulerName, as kube-scheduler reports as each profile. */
  private readonly recorders = new Map<string, EventRecorder>();
  private stopped = false;
  private ownFactory: boolean;
  private bindingsInFlight = 0;
  /** Pods bound since start; for benchmarks and tests. */
  boundCount = 0;

  constructor(private readonly opts: SchedulerOptions) {
    const { client } = opts;
    const config = opts.config ?? defaultConfig();
    this.ownFactory = !opts.informers;
    this.informers = opts.informers ?? new SharedInformerFactory(client);
    this.pods = this.informers.informerFor(resources.pods);
    this.nodes = this.informers.informerFor(resources.nodes);
    this.priorityClasses = this.informers.informerFor(resources.priorityClasses as never);
    const namespaces = this.informers.informerFor(resources.namespaces);
    const pvcs = this.informers.informerFor(resources.persistentVolumeClaims);
    const pvs = this.informers.informerFor(resources.persistentVolumes);
    const storageClasses = this.informers.informerFor(resources.storageClasses);
    const services = this.informers.informerFor(resources.services);
    const replicaSets = this.informers.informerFor(resources.replicaSets);
    const statefulSets = this.informers.informerFor(resources.statefulSets);

    const handle = {
      client,
      cache: this.cache,
      recorder: this.recorderFor('default-scheduler'),
      nsLabels: (ns: string) => namespaces.get(ns)?.metadata?.labels as Record<string, string> | undefined,
      volumes: { pvc: (ns: string, n: string) => pvcs.get(n, ns), pv: (n: string) => pvs.get(n), storageClass: (n: string) => storageClasses.get(n) },
      defaultSelector: (p: PodInfo): LabelSelector | undefined => {
        const matchLabels: Record<string, string> = {};
        const matchExpressions: unknown[] = [];
        let any = false;
        for (const svc of services.store.byIndex(NAMESPACE_INDEX, p.namespace)) {
          const sel = svc.spec?.selector;
          if (!sel || !Object.keys(sel).length || !Object.entries(sel).every(([k, v]) => p.labels[k] === v)) continue;
          Object.assign(matchLabels, sel);
          any = true;
        }
        for (const ref of p.pod.metadata?.ownerReferences ?? []) {
          if (!ref.controller) continue;
          const owner =
            ref.kind === 'ReplicaSet'
              ? replicaSets.get(ref.name, p.namespace)
              : ref.kind === 'StatefulSet'
                ? statefulSets.get(ref.name, p.namespace)
                : undefined;
          const sel = owner?.spec?.selector;
          if (!sel) continue;
          Object.assign(matchLabels, sel.matchLabels ?? {});
          matchExpressions.push(...(sel.matchExpressions ?? []));
          any = true;
        }
        return any ? labelSelectorFromSpec({ matchLabels, matchExpressions } as never) : undefined;
      },
    };
    const pluginEvents = new Map<string, Set<ClusterEvent>>();
    for (const profile of config.profiles) {
      const built = buildFramework(profile, { ...handle, recorder: this.recorderFor(profile.schedulerName) }, config.percentageOfNodesToScore);
      this.frameworks.set(profile.schedulerName, built.framework);
      for (const [k, v] of built.pluginEvents) pluginEvents.set(k, new Set([...(pluginEvents.get(k) ?? []), ...v]));
    }
    this.queue = new SchedulingQueue({
      initialBackoffMs: (config.podInitialBackoffSeconds ?? 1) * 1000,
      maxBackoffMs: (config.podMaxBackoffSeconds ?? 10) * 1000,
      pluginEvents,
    });
    const queue = this.queue;
    opts.metrics?.watchQueue(() => queue.pendingCount);

    this.nodes.addEventHandler({
      onAdd: (n) => {
        this.cache.addNode(n);
        this.queue.moveAllOnEvent('NodeAdd');
      },
      onUpdate: (o, n) => {
        this.cache.updateNode(n);
        if (nodeChangeMatters(o, n)) this.queue.moveAllOnEvent('NodeUpdate');
      },
      onDelete: (n) => this.cache.removeNode(n.metadata!.name!),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (o, p) => this.podUpdated(o, p),
      onDelete: (p) => this.podDeleted(p),
    });
    const move = (ev: ClusterEvent) => ({ onAdd: () => this.queue.moveAllOnEvent(ev), onUpdate: () => this.queue.moveAllOnEvent(ev) });
    pvcs.addEventHandler(move('PvcChange'));
    pvs.addEventHandler(move('PvChange'));
    storageClasses.addEventHandler(move('StorageClassChange'));
    namespaces.addEventHandler({
      onUpdate: (o, n) => {
        if (JSON.stringify(o.metadata?.labels) !== JSON.stringify(n.metadata?.labels)) this.queue.moveAllOnEvent('NamespaceChange');
      },
    });
  }

  private priorityOf(p: Pod): number {
    if (typeof p.spec?.priority === 'number') return p.spec.priority;
    const cls = p.spec?.priorityClassName;
    if (cls) return (this.priorityClasses.get(cls) as { value?: number } | undefined)?.value ?? 0;
    for (const pc of this.priorityClasses.store.list()) if ((pc as { globalDefault?: boolean }).globalDefault) return (pc as { value?: number }).value ?? 0;
    return 0;
  }

  private responsible(p: Pod): boolean {
    return this.frameworks.has(p.spec?.schedulerName || 'default-scheduler');
  }

  private podAdded(p: Pod): void {
    if (isTerminal(p)) return;
    if (p.spec?.nodeName) {
      const info = new PodInfo(p, this.priorityOf(p));
      this.queue.delete(info.key);
      for (const fw of this.frameworks.values()) fw.nominator.delete(info.key);
      this.cache.addPod(info);
      this.queue.moveAllOnEvent('AssignedPodAdd');
    } else if (this.responsible(p) && !p.metadata?.deletionTimestamp) {
      this.queue.add(new PodInfo(p, this.priorityOf(p)));
    }
  }

  private podUpdated(o: Pod, p: Pod): void {
    const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
    if (p.spec?.nodeName) {
      if (isTerminal(p)) {
        if (this.cache.removePod(key)) this.queue.moveAllOnEvent('AssignedPodDelete');
        return;
      }
      if (!o.spec?.nodeName || !this.cache.has(key) || this.cache.isAssumed(key)) return this.podAdded(p);
      // Kubelet status updates do not change what the pod takes from its node.
      if (o.metadata?.labels === p.metadata?.labels && o.spec === p.spec && o.metadata?.deletionTimestamp === p.metadata?.deletionTimestamp) return;
      this.cache.updatePod(new PodInfo(p, this.priorityOf(p)));
      this.queue.moveAllOnEvent('AssignedPodUpdate');
      return;
    }
    if (!this.responsible(p)) return;
    if (p.metadata?.deletionTimestamp) return this.queue.delete(key);
    this.queue.update(new PodInfo(p, this.priorityOf(p)), specChanged(o, p));
  }

  private podDeleted(p: Pod): void {
    const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
    for (const fw of this.frameworks.values()) fw.nominator.delete(key);
    if (this.cache.removePod(key)) this.queue.moveAllOnEvent('AssignedPodDelete');
    else this.queue.delete(key);
  }

  /** Starts informers (when the factory is ours), waits for them, and runs until stop(). */
  async run(): Promise<void> {
    if (this.ownFactory) this.informers.start();
    await this.informers.waitForSync();
    while (!this.stopped) {
      let p = this.queue.tryPop();
      if (!p) {
        p = await this.queue.pop();
        if (!p) break;
      }
      const pending = this.scheduleOne(p);
      if (pending) await pending;
      // Let informer events, binding replies and clients over HTTPS in between decisions.
      await fairTurn();
    }
  }

  stop(): void {
    this.stopped = true;
    this.queue.close();
    if (this.ownFactory) this.informers.stop();
  }

  /** Synchronous unless the pod does not fit (then PostFilter and the status write are awaited). */
  scheduleOne(queued: PodInfo): Promise<void> | undefined {
    const cur = this.pods.get(queued.name, queued.namespace);
    if (!cur || cur.spec?.nodeName || cur.metadata?.deletionTimestamp || cur.metadata?.uid !== queued.uid) {
      this.queue.done(queued.key);
      return undefined;
    }
    const p = cur === queued.pod ? queued : Object.assign(new PodInfo(cur, queued.priority), { timestamp: queued.timestamp, attempts: queued.attempts });
    const fw = this.frameworks.get(cur.spec?.schedulerName || 'default-scheduler');
    if (!fw) {
      this.queue.done(p.key);
      return undefined;
    }
    const state = new CycleState();
    const start = performance.now();
    p.unschedulablePlugins = new Set();
    let nodeName: string;
    try {
      nodeName = fw.schedulePod(state, p, this.cache.nodeList(), (n) => this.cache.getNode(n));
    } catch (e) {
      return this.failed(fw, state, p, e, start);
    }
    const assumed = new PodInfo({ ...cur, spec: { ...cur.spec!, nodeName } }, p.priority);
    this.cache.assumePod(assumed);
    const reserve = fw.runReservePlugins(state, p, nodeName);
    if (reserve) {
      this.unassume(fw, state, p, assumed, nodeName);
      return this.failed(fw, state, p, new Error(reserve.message), start);
    }
    const permit = fw.runPermitPlugins(state, p, nodeName);
    if (permit) {
      this.unassume(fw, state, p, assumed, nodeName);
      if (permit.isRejection()) {
        p.unschedulablePlugins.add(permit.plugin);
        return this.failed(fw, state, p, new FitError(p, this.cache.nodeCount(), new Map([[nodeName, permit]])), start);
      }
      return this.failed(fw, state, p, new Error(permit.message), start);
    }
    this.bindingsInFlight++;
    void this.bindingCycle(fw, state, p, assumed, nodeName, start).finally(() => this.bindingsInFlight--);
    return undefined;
  }

  /** Undoes Reserve and the cache's assumption after a later step failed. */
  private unassume(fw: Framework, state: CycleState, p: PodInfo, assumed: PodInfo, nodeName: string): void {
    fw.runUnreservePlugins(state, p, nodeName);
    this.cache.forgetPod(assumed);
  }

  private async bindingCycle(fw: Framework, state: CycleState, p: PodInfo, assumed: PodInfo, nodeName: string, start: number): Promise<void> {
    let err: string | undefined;
    const preBind = await fw.runPreBindPlugins(state, p, nodeName);
    if (preBind) err = preBind.message;
    else {
      const bind = await fw.runBindPlugins(state, p, nodeName);
      if (bind?.code === Code.Skip) err = 'no Bind plugin bound the pod';
      else if (bind) err = `binding rejected: ${bind.message}`;
    }
    if (!err) {
      this.boundCount++;
      this.attempted('scheduled', fw, start);
      fw.nominator.delete(p.key);
      this.queue.done(p.key);
      if (this.opts.scheduledEvents !== false)
        this.recorderFor(fw.schedulerName).event(p.pod as KObject, 'Normal', 'Scheduled', `Successfully assigned ${p.namespace}/${p.name} to ${nodeName}`);
      return;
    }
    this.unassume(fw, state, p, assumed, nodeName);
    await this.failed(fw, state, p, new Error(err), start);
  }

  private attempted(result: AttemptResult, fw: Framework, start: number | undefined): void {
    if (start !== undefined) this.opts.metrics?.attempt(result, fw.schedulerName, start);
  }

  private recorderFor(schedulerName: string): EventRecorder {
    let r = this.recorders.get(schedulerName);
    if (!r) {
      r = this.opts.recorder ?? new ClientEventRecorder(this.opts.client, schedulerName, this.opts.log.child('events'));
      this.recorders.set(schedulerName, r);
    }
    return r;
  }

  private async failed(fw: Framework, state: CycleState, p: PodInfo, e: unknown, start?: number): Promise<void> {
    this.attempted(e instanceof FitError ? 'unschedulable' : 'error', fw, start);
    let message: string;
    let reason = 'Unschedulable';
    let nominated: string | undefined;
    if (e instanceof FitError) {
      const post = await fw.runPostFilterPlugins(state, p, e.statuses, (plugin, err) =>
        this.opts.log.warn('PostFilter failed', { plugin, pod: p.key, error: err.message }),
      );
      nominated = post.nominatedNodeName;
      if (post.message !== undefined) e.postFilterMsg = post.message;
      message = e.describe();
    } else {
      reason = 'SchedulerError';
      message = (e as Error).message;
    }
    if (nominated) fw.nominator.add(p, nominated);
    else if (nominated === '') fw.nominator.delete(p.key);
    const cur = this.pods.get(p.name, p.namespace);
    this.queue.requeue(p, reason === 'Unschedulable');
    if (!cur || cur.spec?.nodeName) return;
    this.recorderFor(fw.schedulerName).event(cur as KObject, 'Warning', 'FailedScheduling', message);
    const old = cur.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const nominatedChanged = nominated !== undefined && (cur.status?.nominatedNodeName ?? '') !== nominated;
    if (old?.status === 'False' && old.reason === reason && old.message === message && !nominatedChanged) return;
    const status: Record<string, unknown> = {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason,
          message,
          lastProbeTime: null,
          lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : formatTime(),
        },
      ],
    };
    if (nominatedChanged) status.nominatedNodeName = nominated || null;
    try {
      await this.opts.client.pods.patch(p.name, { status }, 'strategic', { namespace: p.namespace, subresource: 'status' });
    } catch (err) {
      this.opts.log.warn('could not update pod condition', { pod: p.key, error: (err as Error).message });
    }
  }

  /** Pods waiting in the queue, and bindings still in flight. */
  pending(): { active: number; backoff: number; unschedulable: number; binding: number } {
    return { ...this.queue.pendingCount, binding: this.bindingsInFlight };
  }
}

function nodeChangeMatters(o: Node, n: Node): boolean {
  if (o.spec !== n.spec && JSON.stringify(o.spec) !== JSON.stringify(n.spec)) return true;
  if (o.metadata?.labels !== n.metadata?.labels && JSON.stringify(o.metadata?.labels) !== JSON.stringify(n.metadata?.labels)) return true;
  if (JSON.stringify(o.status?.allocatable) !== JSON.stringify(n.status?.allocatable)) return true;
  return (o.status?.images?.length ?? 0) !== (n.status?.images?.length ?? 0);
}

function specChanged(o: Pod, p: Pod): boolean {
  if (o.spec !== p.spec && JSON.stringify(o.spec) !== JSON.stringify(p.spec)) return true;
  return o.metadata?.labels !== p.metadata?.labels && JSON.stringify(o.metadata?.labels) !== JSON.stringify(p.metadata?.labels);
}
