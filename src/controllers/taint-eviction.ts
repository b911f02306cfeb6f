// The taint eviction controller (Kubernetes' taint manager): a pod on a node with a
// NoExecute taint it does not tolerate is deleted at once; one that tolerates it for
// tolerationSeconds is deleted when that time, counted from the taint's timeAdded, runs
// out — unless the taint is gone by then. Each pod is looked at again exactly when its
// time would run out.
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { isConflict, isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';
import type { ControllerFactory } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';
import type { EventRecorder } from '../client/event-recorder.js';
import { formatTime } from '../util/time.js';

const POD_NODE_INDEX = 'taint-eviction:spec.nodeName';
const byNode = (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

/** Kubernetes' Toleration.ToleratesTaint. */
export function toleratesTaint(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  if (!tol.key && tol.operator !== 'Exists') return false;
  if (tol.operator === 'Exists') return true;
  return (tol.value ?? '') === (taint.value ?? '');
}

/**
 * When the pod must go, in ms since the epoch: -Infinity for at once (a taint it does not
 * tolerate), Infinity for never.
 */
export function evictionTime(pod: Pod, taints: Taint[], now: number): number {
  let at = Infinity;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = (pod.spec?.tolerations ?? []).filter((t) => toleratesTaint(t, taint));
    if (!matching.length) return -Infinity;
    // Of several tolerations for one taint, the shortest limit counts (getMinTolerationTime).
    let limit = Infinity;
    for (const t of matching) if (typeof t.tolerationSeconds === 'number') limit = Math.min(limit, Math.max(0, t.tolerationSeconds) * 1000);
    if (limit === Infinity) continue;
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
    at = Math.min(at, (Number.isFinite(added) ? added : now) + limit);
  }
  return at;
}

export class TaintEvictionController extends QueueController {
  readonly name = 'taint-eviction-controller';

  constructor(
    private readonly client: Client,
    private readonly informers: SharedInformerFactory,
    private readonly recorder: EventRecorder,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    super({ workers: 2, log, failure: 'taint eviction failed', keyField: 'pod' });
    const pods = informers.informerFor(resources.pods);
    pods.addIndexers({ [POD_NODE_INDEX]: byNode });
    const enqueuePod = (p: Pod) => {
      if (p.spec?.nodeName) this.queue.add(`${p.metadata!.namespace}/${p.metadata!.name}`);
    };
    pods.addEventHandler({
      onAdd: enqueuePod,
      onUpdate: (o, p) => {
        if (o.spec?.nodeName !== p.spec?.nodeName || o.spec?.tolerations !== p.spec?.tolerations) enqueuePod(p);
      },
    });
    const enqueueNode = (n: Node) => {
      for (const key of pods.store.indexKeys(POD_NODE_INDEX, n.metadata!.name!)) this.queue.add(key);
    };
    informers.informerFor(resources.nodes).addEventHandler({
      onAdd: (n) => {
        if (n.spec?.taints?.some((t) => t.effect === 'NoExecute')) enqueueNode(n);
      },
      onUpdate: (o, n) => {
        if (noExecute(o) !== noExecute(n)) enqueueNode(n);
      },
    });
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.informers.informerFor(resources.pods).store.get(key);
    if (!pod?.spec?.nodeName || pod.metadata?.deletionTimestamp) return;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const node = this.informers.informerFor(resources.nodes).store.get(pod.spec.nodeName);
    const taints = node?.spec?.taints ?? [];
    const now = this.now();
    const at = evictionTime(pod, taints, now);
    if (at === Infinity) return;
    if (at > now) {
      this.queue.addAfter(key, at - now + 10);
      return;
    }
    await this.evict(pod);
  }

  private async evict(pod: Pod): Promise<void> {
    const { name, namespace, uid } = pod.metadata!;
    this.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
    try {
      // The DisruptionTarget condition tells whoever looks why the pod went.
      await this.client.pods.patch(
        name!,
        {
          status: {
            conditions: [
              ...(pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
              {
                type: 'DisruptionTarget',
                status: 'True',
                reason: 'DeletionByTaintManager',
                message: 'Taint manager: deleting due to NoExecute taint',
                lastTransitionTime: formatTime(this.now()),
              },
            ],
          },
        },
        'merge',
        { namespace, subresource: 'status' },
      );
      await this.client.pods.delete(name!, { namespace, preconditions: { uid } });
      this.log.info('pod evicted by taint', { pod: `${namespace}/${name}`, node: pod.spec?.nodeName });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw err;
    }
  }
}

function noExecute(n: Node): string {
  return JSON.stringify((n.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute'));
}

export const taintEvictionController: ControllerFactory = (ctx) =>
  new TaintEvictionController(ctx.client, ctx.informers, ctx.recorder('taint-eviction-controller'), ctx.log, ctx.now);
