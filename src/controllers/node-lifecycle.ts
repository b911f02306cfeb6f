// The node lifecycle controller: a node whose agent has not renewed its Lease (nor posted
// status) for --node-monitor-grace-period gets its conditions set to Unknown; nodes whose
// Ready condition is False or Unknown get the not-ready / unreachable taints (NoSchedule
// and NoExecute), which the taint eviction controller then acts on; a node that is Ready
// again loses them. Pressure conditions that are True (memory, disk, PID; and
// NetworkUnavailable) put their NoSchedule taints on the node (TaintNodesByCondition), so
// the scheduler keeps new pods off it until the pressure is gone. Each node is looked at again when its grace period would run out,
// so no polling over all nodes is needed.
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { isConflict, isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';
import type { ControllerFactory } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';
import type { EventRecorder } from '../client/event-recorder.js';
import { formatTime } from '../util/time.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** TaintNodesByCondition: a condition that is True puts its NoSchedule taint on the node. */
export const CONDITION_TAINTS: Record<string, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
  NetworkUnavailable: 'node.kubernetes.io/network-unavailable',
};
const MANAGED_NO_SCHEDULE = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE, ...Object.values(CONDITION_TAINTS)]);
export const DEFAULT_GRACE_MS = 40_000;
const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const PRESSURE_CONDITIONS = ['MemoryPressure', 'DiskPressure', 'PIDPressure'];
const POD_NODE_INDEX = 'node-lifecycle:spec.nodeName';
const byNode = (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

function parseTime(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) ? t : 0;
}

/** The taints a node's Ready condition calls for, NoSchedule and NoExecute. */
export function readinessTaintKey(node: Node): string | undefined {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'Unknown') return TAINT_UNREACHABLE;
  if (ready.status === 'False') return TAINT_NOT_READY;
  return undefined;
}

/** The taints the node's conditions call for: key → effects. */
export function wantedTaints(node: Node): Map<string, ('NoSchedule' | 'NoExecute')[]> {
  const want = new Map<string, ('NoSchedule' | 'NoExecute')[]>();
  const ready = readinessTaintKey(node);
  if (ready) want.set(ready, ['NoSchedule', 'NoExecute']);
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type];
    if (key && c.status === 'True') want.set(key, ['NoSchedule']);
  }
  return want;
}

export class NodeLifecycleController extends QueueController {
  readonly name = 'node-lifecycle';
  private readonly startedAt: number;

  constructor(
    private readonly client: Client,
    private readonly informers: SharedInformerFactory,
    private readonly recorder: EventRecorder,
    private readonly log: Logger,
    private readonly graceMs: number,
    private readonly now: () => number,
  ) {
    super({ workers: 2, log, failure: 'node health not updated', keyField: 'node' });
    this.startedAt = now();
    informers.informerFor(resources.pods).addIndexers({ [POD_NODE_INDEX]: byNode });
    informers.informerFor(resources.nodes).addEventHandler({
      onAdd: (n) => this.queue.add(n.metadata!.name!),
      onUpdate: (o, n) => {
        // Status posts only move heartbeat times; they need no look before the deadline already set.
        if (conditionsKey(o) !== conditionsKey(n) || JSON.stringify(o.spec?.taints) !== JSON.stringify(n.spec?.taints)) this.queue.add(n.metadata!.name!);
      },
    });
    informers.informerFor(resources.leases, { namespace: NODE_LEASE_NAMESPACE }).addEventHandler({
      onAdd: (l) => this.queue.add(l.metadata!.name!),
      onUpdate: (_o, l) => this.queue.addAfter(l.metadata!.name!, this.graceMs + 50),
    });
  }

  /** When the node's agent last showed a sign of life. */
  private lastHeartbeat(node: Node): number {
    const lease = this.informers
      .informerFor(resources.leases, { namespace: NODE_LEASE_NAMESPACE })
      .store.get(`${NODE_LEASE_NAMESPACE}/${node.metadata!.name}`) as Lease | undefined;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    // A controller that just started gives every node a full grace period, as Kubernetes' does.
    return Math.max(parseTime(lease?.spec?.renewTime), parseTime(ready?.lastHeartbeatTime), parseTime(node.metadata?.creationTimestamp), this.startedAt);
  }

  async reconcile(name: string): Promise<void> {
    let node = this.informers.informerFor(resources.nodes).store.get(name);
    if (!node) return;
    const now = this.now();
    const silentFor = now - this.lastHeartbeat(node);
    if (silentFor > this.graceMs) {
      const updated = await this.markUnknown(node, now);
      if (updated) node = updated;
      await this.markPodsNotReady(name, now);
    } else {
      this.queue.addAfter(name, this.graceMs - silentFor + 50);
    }
    await this.reconcileTaints(node, now);
  }

  /** Sets every condition the agent posts to Unknown, as Kubernetes' tryUpdateNodeHealth. */
  private async markUnknown(node: Node, now: number): Promise<Node | undefined> {
    const conds = node.status?.conditions ?? [];
    const types = ['Ready', ...PRESSURE_CONDITIONS];
    const next: NodeCondition[] = conds.map((c) => ({ ...c }));
    let changed = false;
    for (const type of types) {
      let c = next.find((x) => x.type === type);
      if (!c) {
        c = {
          type,
          status: 'Unknown',
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
          lastHeartbeatTime: node.metadata?.creationTimestamp,
          lastTransitionTime: formatTime(now),
        };
        next.push(c);
        changed = true;
      } else if (c.status !== 'Unknown') {
        Object.assign(c, {
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: formatTime(now),
        });
        changed = true;
      }
    }
    if (!changed) return undefined;
    this.log.info('node stopped posting status', { node: node.metadata!.name });
    this.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${node.metadata!.name} status is now: NodeNotReady`);
    try {
      return await this.client.nodes.patch(node.metadata!.name!, { status: { conditions: next } }, 'merge', { subresource: 'status' });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Pods on a node nobody hears from are not ready (so Services stop sending to them);
   * their agent, once back, reports them ready again.
   */
  private async markPodsNotReady(nodeName: string, now: number): Promise<void> {
    const pods = this.informers.informerFor(resources.pods).store.byIndex(POD_NODE_INDEX, nodeName);
    for (const pod of pods) {
      const conds = pod.status?.conditions ?? [];
      const ready = conds.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      const next = conds.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: formatTime(now) } : c));
      try {
        await this.client.pods.patch(pod.metadata!.name!, { status: { conditions: next } }, 'merge', {
          namespace: pod.metadata!.namespace,
          subresource: 'status',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async reconcileTaints(node: Node, now: number): Promise<void> {
    const wanted = wantedTaints(node);
    const taints = node.spec?.taints ?? [];
    const ours = (t: Taint) =>
      (t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key)) || (t.effect === 'NoExecute' && (t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE));
    const kept = taints.filter((t) => !ours(t) || wanted.get(t.key)?.includes(t.effect as 'NoSchedule' | 'NoExecute'));
    const want: Taint[] = [...kept];
    for (const [key, effects] of wanted) {
      for (const effect of effects)
        if (!kept.some((t) => t.key === key && t.effect === effect))
          want.push({ key, effect, ...(effect === 'NoExecute' ? { timeAdded: formatTime(now) } : {}) });
    }
    if (want.length === taints.length && kept.length === taints.length) return;
    const copy: Node = structuredClone(node);
    copy.spec = { ...(copy.spec ?? {}), taints: want };
    if (!want.length) delete copy.spec.taints;
    try {
      await this.client.nodes.update(copy);
      this.log.info('node taints updated', { node: node.metadata!.name, taints: want.map((t) => `${t.key}:${t.effect}`) });
    } catch (err) {
      // The next event for this node brings the newer version to work on.
      if (isNotFound(err)) return;
      if (isConflict(err)) {
        this.queue.addAfter(node.metadata!.name!, 100);
        return;
      }
      throw err;
    }
  }
}

function conditionsKey(n: Node): string {
  return (n.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
}

export const nodeLifecycleController: ControllerFactory = (ctx) =>
  new NodeLifecycleController(
    ctx.client,
    ctx.informers,
    ctx.recorder('node-controller'),
    ctx.log,
    ctx.settings?.nodeMonitorGracePeriodMs ?? DEFAULT_GRACE_MS,
    ctx.now,
  );
