// The disruption controller: keeps each PodDisruptionBudget's status (expected pods,
// healthy pods, how many may be disrupted now) so the eviction subresource can decide.
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { labelSelectorFromSpec, type LabelSelectorSpec } from '../api/selectors.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { ControllerContext } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';
import { getControllerOf } from './lib/controller-ref.js';
import { scaledValue } from './lib/int-or-percent.js';
import { isPodReady } from './lib/pod-state.js';
import { formatTime } from '../util/time.js';

function selectorMatches(sel: LabelSelectorSpec | null | undefined, labels: Record<string, string> | undefined): boolean {
  try {
    return labelSelectorFromSpec(sel).matches(labels ?? {});
  } catch {
    return false;
  }
}

/** An eviction the controller has not seen carried out within this long no longer counts. */
const DELETION_TIMEOUT_MS = 2 * 60_000;

export class DisruptionController extends QueueController {
  readonly name = 'disruption';
  private readonly pdbs: SharedInformer<PodDisruptionBudget>;
  private readonly pods: SharedInformer<Pod>;
  private readonly rss: SharedInformer<ReplicaSet>;
  private readonly sets: SharedInformer<StatefulSet>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'pdb sync failed', keyField: 'pdb' });
    this.pdbs = ctx.informers.informerFor(resources.podDisruptionBudgets);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.rss = ctx.informers.informerFor(resources.replicaSets);
    this.sets = ctx.informers.informerFor(resources.statefulSets);
    const enqueue = (p: PodDisruptionBudget) => this.queue.add(`${p.metadata!.namespace}/${p.metadata!.name}`);
    this.pdbs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    const forPod = (p: Pod) => {
      for (const b of this.pdbs.store.list())
        if (b.metadata?.namespace === p.metadata?.namespace && selectorMatches(b.spec?.selector, p.metadata?.labels)) enqueue(b);
    };
    this.pods.addEventHandler({
      onAdd: forPod,
      onUpdate: (o, n) => {
        forPod(o);
        forPod(n);
      },
      onDelete: forPod,
    });
  }

  /** How many pods the budget's selector should cover: the scale of their controllers. */
  private expectedCount(pods: Pod[]): number {
    let total = 0;
    const seen = new Set<string>();
    for (const p of pods) {
      const ref = getControllerOf(p);
      const ns = p.metadata!.namespace!;
      if (!ref) {
        total++;
        continue;
      }
      if (seen.has(ref.uid)) continue;
      seen.add(ref.uid);
      if (ref.kind === 'ReplicaSet') {
        const rs = this.rss.store.get(`${ns}/${ref.name}`);
        total += rs?.spec?.replicas ?? 1;
      } else if (ref.kind === 'StatefulSet') {
        total += this.sets.store.get(`${ns}/${ref.name}`)?.spec?.replicas ?? 1;
      } else total += pods.filter((x) => getControllerOf(x)?.uid === ref.uid).length;
    }
    return total;
  }

  async reconcile(key: string): Promise<void> {
    const pdb = this.pdbs.store.get(key);
    if (!pdb) return;
    const now = this.ctx.now();
    const pods = this.pods.store
      .list()
      .filter((p) => p.metadata?.namespace === pdb.metadata?.namespace && selectorMatches(pdb.spec?.selector, p.metadata?.labels));
    const spec = pdb.spec ?? {};
    let expected: number;
    let desired: number;
    if (spec.maxUnavailable !== undefined) {
      expected = this.expectedCount(pods);
      desired = Math.max(0, expected - scaledValue(spec.maxUnavailable, expected, true, 0));
    } else if (typeof spec.minAvailable === 'string') {
      expected = this.expectedCount(pods);
      desired = scaledValue(spec.minAvailable, expected, true, 0);
    } else {
      expected = pods.length;
      desired = spec.minAvailable ?? 0;
    }
    // Evicted pods not yet seen deleted do not count as healthy, for a while.
    const disrupted: Record<string, string> = {};
    let recheck = Infinity;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = pods.find((p) => p.metadata?.name === name);
      const deadline = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (!pod || pod.metadata?.deletionTimestamp || deadline <= now) continue;
      disrupted[name] = at;
      recheck = Math.min(recheck, deadline - now);
    }
    const healthy = pods.filter((p) => !p.metadata?.deletionTimestamp && isPodReady(p) && !(p.metadata!.name! in disrupted)).length;
    const allowed = Math.max(0, healthy - desired);
    const prev = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
    const condStatus = allowed > 0 ? 'True' : 'False';
    const status: PodDisruptionBudgetStatus = {
      observedGeneration: pdb.metadata?.generation ?? 1,
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy: healthy,
      desiredHealthy: desired,
      expectedPods: expected,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: condStatus,
          reason: allowed > 0 ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: pdb.metadata?.generation ?? 1,
          lastTransitionTime: prev && prev.status === condStatus ? prev.lastTransitionTime : formatTime(now),
        },
      ],
    };
    if (recheck < Infinity) this.queue.addAfter(key, recheck + 10);
    if (JSON.stringify(status) === JSON.stringify(pdb.status ?? {})) return;
    try {
      await this.ctx.client.resource(resources.podDisruptionBudgets).updateStatus({ ...pdb, status }, { namespace: pdb.metadata!.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const disruptionController = (ctx: ControllerContext): DisruptionController => new DisruptionController(ctx);
