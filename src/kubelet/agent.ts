// The node agent: registers its Node, keeps it alive (a Lease in kube-node-lease renewed
// every 10 s, node status posted on change and every few minutes), and runs one worker
// per pod bound to it. Pods and its own Node come from routers over shared informers, so
// many agents in one process cost one watch.
import type { Node, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Client } from '../client/client.js';
import { microTime } from '../util/time.js';
import { isAlreadyExists, isConflict, isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';
import { newNode, nodeStatus, statusStale, STOP_HEARTBEATS_ANNOTATION, type NodeDescription } from './node/status.js';
import { PodWorker, type PodApi } from './pod/worker.js';
import { removeSandboxes, takeInventory, type AdoptedPod, type LivePods } from './pod/adoption.js';
import type { InformerRouter } from './node/router.js';
import { ClientEventRecorder, type EventRecorder } from '../client/event-recorder.js';
import type { ContainerRuntime } from './runtime/types.js';
import type { SandboxConfigOptions } from './pod/sandbox-config.js';
import type { ContainerHooks } from './pod/container-hooks.js';
import { Registry } from 'prom-client';
import { PodStartTiming } from './pod/start-timing.js';
import { registerNodeMetrics } from './node-metrics.js';
import { DEFAULT_SYNC_FREQUENCY_MS, PodResyncQueue, type ResyncClock } from './pod/resync.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

export interface NodeAgentOptions {
  client: Client;
  runtime: ContainerRuntime;
  node: NodeDescription;
  pods: InformerRouter<Pod>;
  /** Pods on this node, from the pod informer's cache. */
  podsOnNode(nodeName: string): Pod[];
  nodes: InformerRouter<Node>;
  log: Logger;
  /** Lease renewal period; default 10 s (a quarter of the lease's duration, as the kubelet). */
  leaseRenewMs?: number;
  /** Longest time between status posts when nothing changes; default 5 min. */
  statusReportMs?: number;
  /** Delay of the first renewal, so that many agents do not renew in step. */
  firstRenewDelayMs?: number;
  /** Record pod and node events, as the kubelet does; default true (simulated pools turn it off: it triples their writes). */
  recordEvents?: boolean;
  now?: () => number;
  /** Sandbox settings for this node's pods (log dir, cluster DNS). */
  sandbox?: SandboxConfigOptions;
  /** Volumes, env and container config for runtimes that run processes (real-node.ts). */
  containerHooks?: ContainerHooks;
  /** Told of every change of a pod on this node (volume resyncs). */
  onPodChanged?(pod: Pod | undefined, old: Pod | undefined): void;
  /**
   * Per-phase timing of pod starts (histograms in `metrics`, a log line per pod); default:
   * on for runtimes that run processes (a simulated pool's thousands of pods would only log).
   */
  podStartTiming?: boolean;
  /** Removes the on-disk directories (volumes) of pods not in `keep`; run once at start. */
  cleanupOrphanedPods?(keep: Set<string>): Promise<string[]>;
  /** The kubelet's --sync-frequency: each running pod is synced again this long (jittered) after its last sync; default 1 min, 0: never. */
  syncFrequencyMs?: number;
  /** Timers of the resyncs (tests drive them by hand). */
  resyncClock?: ResyncClock;
}

export class NodeAgent {
  readonly name: string;
  private readonly workers = new Map<string, PodWorker>();
  private readonly bySandbox = new Map<string, PodWorker>();
  /** What the runtime held for pods of this node when the agent started, until their workers take it. */
  private adoptable = new Map<string, AdoptedPod>();
  private node?: Node;
  private lease?: Lease;
  private timer?: NodeJS.Timeout;
  private unsubscribe: (() => void)[] = [];
  private stopped = false;
  private heartbeatsStopped = false;
  private postingStatus = false;
  private podCidr?: string;
  private readonly now: () => number;
  private readonly api: PodApi;
  private readonly recorder?: EventRecorder;
  /** The node agent's own metrics (pod start histograms), for its /metrics endpoint. */
  readonly metrics = new Registry();
  readonly startTiming?: PodStartTiming;
  private readonly resyncs: PodResyncQueue;

  constructor(private readonly opts: NodeAgentOptions) {
    this.name = opts.node.name;
    this.now = opts.now ?? Date.now;
    if (opts.podStartTiming ?? opts.runtime.runsProcesses) this.startTiming = new PodStartTiming(opts.log, this.metrics);
    registerNodeMetrics(this.metrics, this.name, opts.runtime);
    this.resyncs = new PodResyncQueue({
      periodMs: opts.syncFrequencyMs ?? DEFAULT_SYNC_FREQUENCY_MS,
      resync: (uid) => this.workers.get(uid)?.kick(),
      clock: opts.resyncClock,
    });
    if (opts.recordEvents !== false) this.recorder = new ClientEventRecorder(opts.client, 'kubelet', opts.log.child('events'), this.name, this.now);
    const pods = opts.client.pods;
    this.api = {
      writeStatus: async (pod: Pod, status: PodStatus) => {
        try {
          await pods.patch(pod.metadata!.name!, { status }, 'merge', { namespace: pod.metadata!.namespace, subresource: 'status' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      },
      deletePod: async (pod: Pod) => {
        try {
          await pods.delete(pod.metadata!.name!, { namespace: pod.metadata!.namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata!.uid } });
        } catch (err) {
          // Gone already, or a new pod of the same name: either way this one is finished.
          if (!isNotFound(err) && !isConflict(err)) throw err;
        }
      },
    };
  }

  /**
   * Stops (or resumes) all traffic to the API — Lease, node status, pod status, deletions —
   * as if the node were cut off; its containers keep their state and it catches up on return.
   */
  setHeartbeats(on: boolean): void {
    const was = this.heartbeating;
    this.heartbeatsStopped = !on;
    this.resumeIfBack(was);
  }

  private resumeIfBack(was: boolean): void {
    if (was || !this.heartbeating || this.stopped) return;
    void this.heartbeat();
    for (const w of this.workers.values()) w.kick();
  }

  get heartbeating(): boolean {
    return !this.heartbeatsStopped && this.node?.metadata?.annotations?.[STOP_HEARTBEATS_ANNOTATION] !== 'true';
  }

  async start(): Promise<void> {
    await this.register();
    await this.takeOverRuntime();
    const rt = this.opts.runtime;
    this.unsubscribe.push(rt.getContainerEvents((ev) => this.bySandbox.get(ev.podSandboxId)?.kick()));
    this.unsubscribe.push(
      this.opts.nodes.add(
        this.name,
        (node) => this.onNode(node),
        () => {
          const n = this.opts.nodes.informer.get(this.name);
          return n ? [n] : [];
        },
      ),
    );
    this.unsubscribe.push(
      this.opts.pods.add(
        this.name,
        (pod, old) => this.onPod(pod, old),
        () => this.opts.podsOnNode(this.name),
      ),
    );
    const period = this.opts.leaseRenewMs ?? 10_000;
    const tick = () => {
      if (this.stopped) return;
      void this.heartbeat().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, period);
      });
    };
    this.timer = setTimeout(tick, this.opts.firstRenewDelayMs ?? 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const u of this.unsubscribe.splice(0)) u();
    this.resyncs.stop();
    for (const w of this.workers.values()) w.stop();
    this.workers.clear();
  }

  /**
   * Adopts the sandboxes and containers of pods that still exist on this node (a restarted
   * agent leaves its pods running) and removes the rest, with their volumes. The pod cache
   * is synced before the agent starts, so "gone" here means gone from the API.
   */
  private async takeOverRuntime(): Promise<void> {
    const live: LivePods = { uids: new Set(), finished: new Set() };
    for (const p of this.opts.podsOnNode(this.name)) {
      const uid = p.metadata?.uid;
      if (!uid) continue;
      live.uids.add(uid);
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') live.finished.add(uid);
    }
    const log = this.opts.log;
    try {
      const { adopt, garbage } = await takeInventory(this.opts.runtime, live);
      this.adoptable = adopt;
      await removeSandboxes(this.opts.runtime, garbage, (sb, err) =>
        log.warn('leftover pod sandbox not removed', {
          node: this.name,
          sandbox: sb.id,
          pod: `${sb.metadata.namespace}/${sb.metadata.name}`,
          error: err.message,
        }),
      );
      if (adopt.size || garbage.length) log.info("took over the runtime's pods", { node: this.name, adopted: adopt.size, removedSandboxes: garbage.length });
    } catch (err) {
      log.error('runtime inventory failed; pods start afresh', { node: this.name, error: (err as Error).message });
    }
    try {
      const removed = (await this.opts.cleanupOrphanedPods?.(live.uids)) ?? [];
      if (removed.length) log.info('removed directories of pods that are gone', { node: this.name, pods: removed.length });
    } catch (err) {
      log.warn('directories of gone pods not removed', { node: this.name, error: (err as Error).message });
    }
  }

  /** Creates the Node, or brings an existing one's status up to date. */
  private async register(): Promise<void> {
    const d = this.opts.node;
    const nodes = this.opts.client.nodes;
    try {
      this.node = await nodes.create(newNode(d, this.now()));
      this.opts.log.info('node registered', { node: this.name });
      // kubectl describe node shows these, keyed to the node's name as the kubelet does.
      const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name: this.name, uid: this.name } };
      this.recorder?.event(ref, 'Normal', 'Starting', 'Starting kubelet.');
      this.recorder?.event(ref, 'Normal', 'NodeReady', `Node ${this.name} status is now: NodeReady`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await nodes.get(this.name);
      this.node = existing;
      await this.postStatus(true);
    }
  }

  private onNode(node: Node | undefined): void {
    if (!node || this.stopped) return;
    const was = this.heartbeating;
    this.node = node;
    this.resumeIfBack(was);
    const cidr = node.spec?.podCIDR;
    if (cidr && cidr !== this.podCidr) {
      this.podCidr = cidr;
      void this.opts.runtime.updateRuntimeConfig({ podCidr: cidr }).then(
        () => {
          // Pods that waited for the network get going now.
          for (const w of this.workers.values()) w.kick();
        },
        (err: Error) => {
          // Forgotten, so that the next update of this Node tries again.
          if (this.podCidr === cidr) this.podCidr = undefined;
          this.opts.log.error('pod network not configured', { node: this.name, podCIDR: cidr, error: err.message });
        },
      );
    }
    if (this.heartbeating && statusStale(node, this.opts.node, this.now(), this.opts.statusReportMs ?? 300_000)) void this.postStatus(false);
  }

  private onPod(pod: Pod | undefined, old: Pod | undefined): void {
    if (this.stopped) return;
    const uid = (pod ?? old)?.metadata?.uid;
    if (!uid) return;
    this.opts.onPodChanged?.(pod, old);
    let w = this.workers.get(uid);
    if (!pod) {
      this.startTiming?.forget(uid);
      w?.update(undefined);
      return;
    }
    if (!w) {
      const adopted = this.adoptable.get(uid);
      this.adoptable.delete(uid);
      // A finished pod that this agent never ran has nothing to do here.
      if (!adopted && (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')) {
        if (!pod.metadata?.deletionTimestamp) return;
      }
      w = new PodWorker(
        `${pod.metadata!.namespace}/${pod.metadata!.name}`,
        pod,
        {
          runtime: this.opts.runtime,
          api: this.api,
          hostIP: this.opts.node.internalIP,
          runtimeName: this.opts.runtime.runtimeVersionString.split(':')[0]!,
          log: this.opts.log,
          now: this.now,
          paused: () => !this.heartbeating,
          sandbox: this.opts.sandbox,
          startTiming: this.startTiming,
          ...this.opts.containerHooks,
          event: this.recorder ? (p, type, reason, message) => this.recorder!.event(p as never, type, reason, message) : undefined,
          onFinished: (worker) => {
            if (this.workers.get(uid) !== worker) return;
            this.workers.delete(uid);
            this.resyncs.forget(uid);
          },
          onSynced: (worker, running) => {
            if (this.workers.get(uid) !== worker) return;
            if (running) this.resyncs.synced(uid);
            else this.resyncs.forget(uid);
          },
          onSandbox: (worker, id) => {
            for (const [k, v] of this.bySandbox) if (v === worker) this.bySandbox.delete(k);
            if (id) this.bySandbox.set(id, worker);
          },
        },
        adopted,
      );
      this.workers.set(uid, w);
      // Only a start this agent makes counts (not a pod adopted from its previous run).
      if (!adopted && !pod.status?.phase?.match(/^(Running|Succeeded|Failed)$/)) this.startTiming?.mark(pod, 'seen');
    }
    if (pod.status?.phase === 'Running') this.startTiming?.mark(pod, 'runningSeen');
    w.update(pod);
  }

  /** One heartbeat: renew the Lease, and post status if it is stale. */
  async heartbeat(): Promise<void> {
    if (this.stopped || !this.heartbeating) return;
    try {
      await this.renewLease();
    } catch (err) {
      this.opts.log.warn('node lease not renewed', { node: this.name, error: (err as Error).message });
    }
    const node = this.opts.nodes.informer.get(this.name) ?? this.node;
    if (node && statusStale(node, this.opts.node, this.now(), this.opts.statusReportMs ?? 300_000)) await this.postStatus(false);
  }

  private async renewLease(): Promise<void> {
    const leases = this.opts.client.leases;
    const renewTime = microTime(this.now());
    if (this.lease) {
      const next: Lease = { ...this.lease, spec: { ...this.lease.spec, renewTime } };
      try {
        this.lease = await leases.update(next);
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        this.lease = undefined;
      }
    }
    try {
      const current = await leases.get(this.name, NODE_LEASE_NAMESPACE);
      this.lease = await leases.update({
        ...current,
        spec: { ...current.spec, holderIdentity: this.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const uid = this.node?.metadata?.uid;
      this.lease = await leases.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: this.name,
          namespace: NODE_LEASE_NAMESPACE,
          ...(uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid }] } : {}),
        },
        spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime },
      });
    }
  }

  private async postStatus(force: boolean): Promise<void> {
    if (this.postingStatus || (!force && !this.heartbeating)) return;
    this.postingStatus = true;
    try {
      const old = (this.opts.nodes.informer.get(this.name) ?? this.node)?.status?.conditions;
      const status = nodeStatus(this.opts.node, old, this.now());
      // Strategic, as the kubelet patches: conditions merge by type, so one another component
      // owns (NetworkUnavailable, from the pod network) stays.
      this.node = await this.opts.client.nodes.patch(this.name, { status }, 'strategic', { subresource: 'status' });
    } catch (err) {
      this.opts.log.warn('node status not posted', { node: this.name, error: (err as Error).message });
    } finally {
      this.postingStatus = false;
    }
  }

  /** Pods waiting for their periodic resync (tests). */
  get resyncsQueued(): number {
    return this.resyncs.size;
  }

  /** Pods this agent is running (tests and the pool's figures). */
  get podCount(): number {
    return this.workers.size;
  }
}
