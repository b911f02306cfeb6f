// The HorizontalPodAutoscaler controller: every sync period each HPA reads its target's
// /scale, computes a replica count from its metrics, stabilizes and rate-limits it, writes
// the new scale, and records status, conditions and Events as kube-controller-manager does.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import { NAMESPACE_INDEX } from '../../client/cache.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { SharedInformer } from '../../client/informer.js';
import { type ResourceType, resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import { parseLabelSelector } from '../../api/selectors.js';
import type { KObject } from '../../api/types.js';
import type { ControllerContext } from '../lib/context.js';
import { QueueController } from '../lib/queue-controller.js';
import { ScalingHistory } from './behavior.js';
import { type ConditionUpdate, setCondition } from './conditions.js';
import { type HPAEvent, MetricsComputer } from './compute.js';
import { type ResourceMetricsClient, RestResourceMetricsClient } from './metrics-client.js';
import { ReplicaCalculator } from './replica-calculator.js';
import { RegistryScaleClient, type ScaleClient } from './scale-target.js';
import { statusChanged, withStatus } from './status.js';

/** --horizontal-pod-autoscaler-sync-period */
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;

export interface HPAControllerOptions {
  metrics?: ResourceMetricsClient;
  scales?: ScaleClient;
  syncPeriodMs?: number;
  downscaleStabilizationMs?: number;
}

type HPA = KObject & { spec?: any; status?: any };

/** Pods by namespace and each of their labels: a target's pods without scanning its namespace. */
const POD_LABEL_INDEX = 'hpa-namespace-label';
const labelIndexKey = (ns: string, key: string, value: string) => `${ns}/${key}=${value}`;
function podLabelKeys(p: Pod): string[] {
  const ns = p.metadata?.namespace ?? '';
  return Object.entries(p.metadata?.labels ?? {}).map(([k, v]) => labelIndexKey(ns, k, v));
}

export class HPAController extends QueueController {
  readonly name = 'horizontal-pod-autoscaler';
  readonly hpas: SharedInformer<HPA>;
  private readonly pods: SharedInformer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly scales: ScaleClient;
  private readonly history: ScalingHistory;
  private readonly computer: MetricsComputer;
  readonly syncPeriodMs: number;
  private readonly selectors = new Map<string, ReturnType<typeof parseLabelSelector>>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: HPAControllerOptions = {},
  ) {
    // kube-controller-manager's --concurrent-horizontal-pod-autoscaler-syncs default.
    super({ workers: 5, log: ctx.log, failure: 'horizontal pod autoscaler sync failed', keyField: 'hpa' });
    this.syncPeriodMs = opts.syncPeriodMs ?? ctx.settings?.hpaSyncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
    this.hpas = ctx.informers.informerFor(resources.horizontalPodAutoscalers) as SharedInformer<HPA>;
    this.pods = ctx.informers.informerFor(resources.pods);
    this.pods.addIndexers({ [POD_LABEL_INDEX]: podLabelKeys });
    this.recorder = ctx.recorder('horizontal-pod-autoscaler');
    this.scales = opts.scales ?? new RegistryScaleClient(ctx.client, ctx.registry);
    this.history = new ScalingHistory(opts.downscaleStabilizationMs);
    const calc = new ReplicaCalculator({
      metrics: opts.metrics ?? new RestResourceMetricsClient(ctx.client),
      pods: (ns, sel) => this.listPods(ns, sel),
      now: ctx.now,
    });
    this.computer = new MetricsComputer(calc, (hpa, e) => this.event(hpa, e));
    const key = (h: HPA) => `${h.metadata!.namespace}/${h.metadata!.name}`;
    this.hpas.addEventHandler({
      onAdd: (h) => this.queue.add(key(h)),
      // A changed spec is acted on now; status writes (ours) wait for the next period.
      onUpdate: (o, n) => {
        if (o.metadata?.generation !== n.metadata?.generation) this.queue.add(key(n));
      },
      onDelete: (h) => this.history.forget(key(h)),
    });
  }

  private event(hpa: HPA, e: HPAEvent): void {
    this.recorder.event(hpa, e.type, e.reason, e.message);
  }

  private listPods(namespace: string, selector: string): Pod[] {
    let sel = this.selectors.get(selector);
    if (!sel) {
      sel = parseLabelSelector(selector);
      if (this.selectors.size > 10_000) this.selectors.clear();
      this.selectors.set(selector, sel);
    }
    const s = sel;
    // An equality term narrows the candidates through the label index; the rest is filtered.
    const exact = s.requirements.find((r) => s.requiresExactMatch(r.key) !== undefined);
    const candidates = exact
      ? this.pods.store.byIndex(POD_LABEL_INDEX, labelIndexKey(namespace, exact.key, s.requiresExactMatch(exact.key)!))
      : this.pods.store.byIndex(NAMESPACE_INDEX, namespace);
    return candidates.filter((p) => s.matches(p.metadata?.labels));
  }

  async reconcile(key: string): Promise<void> {
    const hpa = this.hpas.store.get(key);
    if (!hpa || hpa.metadata?.deletionTimestamp) {
      this.history.forget(key);
      return;
    }
    try {
      await this.reconcileAutoscaler(key, hpa);
    } catch (err) {
      // Not rethrown: a failing HPA is retried at the sync period, not with back-off, as
      // Kubernetes' fixed-interval rate limiter does (and its Events are not repeated faster).
      this.ctx.log.warn('horizontal pod autoscaler sync failed', { hpa: key, error: (err as Error).message });
    } finally {
      if (!this.queue.isShuttingDown()) this.queue.addAfter(key, this.syncPeriodMs);
    }
  }

  /** One pass of Kubernetes' reconcileAutoscaler for one HPA. */
  private async reconcileAutoscaler(key: string, hpa: HPA): Promise<void> {
    const now = this.ctx.now();
    const spec = hpa.spec ?? {};
    const ns = hpa.metadata!.namespace!;
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind}/${ns}/${ref.name}`;
    let status: any = structuredClone(hpa.status ?? {});
    const cond = (u: ConditionUpdate) => {
      status.conditions = setCondition(status.conditions, u, now);
    };

    let type: ResourceType;
    let scale: Scale;
    try {
      type = this.scales.resolve(ref);
    } catch (err) {
      return this.failGetScale(hpa, status, cond, err as Error, `unable to determine resource for scale target reference: ${(err as Error).message}`);
    }
    try {
      scale = await this.scales.getScale(type, ns, ref.name);
    } catch (err) {
      return this.failGetScale(hpa, status, cond, err as Error, `failed to query scale subresource for ${reference}: ${(err as Error).message}`);
    }
    cond({ type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
    const currentReplicas = scale.spec?.replicas ?? 0;
    this.history.recordInitial(key, currentReplicas, now);

    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas ?? 0;
    let desired = 0;
    let rescaleReason = '';
    let rescale = true;
    let statuses: any[] | undefined;
    let retErr: Error | undefined;
    if (currentReplicas === 0 && minReplicas !== 0) {
      desired = 0;
      rescale = false;
      cond({ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' });
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const selector = this.targetSelector(hpa, scale.status?.selector, cond);
      if (typeof selector !== 'string') {
        status = withStatus(status, currentReplicas, status.desiredReplicas ?? 0, undefined, false, now);
        await this.writeStatus(hpa, status);
        this.event(hpa, { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: selector.error });
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${selector.error}`);
      }
      const r = await this.computer.compute(hpa, currentReplicas, selector);
      statuses = r.statuses;
      for (const c of r.conditions) cond(c);
      if (r.error && r.replicas === -1) {
        status = withStatus(status, currentReplicas, status.desiredReplicas ?? 0, statuses, false, now);
        await this.writeStatus(hpa, status);
        this.event(hpa, { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: r.error.message });
        throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${r.error.message}`);
      }
      retErr = r.error;
      let rescaleMetric = '';
      if (r.replicas > desired) {
        desired = r.replicas;
        rescaleMetric = r.metricName;
      }
      if (desired > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desired < currentReplicas) rescaleReason = 'All metrics below target';
      const n = spec.behavior
        ? this.history.normalizeWithBehavior(key, spec.behavior, currentReplicas, desired, minReplicas, maxReplicas, now)
        : this.history.normalize(key, currentReplicas, desired, minReplicas, maxReplicas, now);
      for (const c of n.conditions) cond(c);
      desired = n.replicas;
      rescale = desired !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.scales.updateScale(type, ns, { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (err) {
        const msg = (err as Error).message;
        this.event(hpa, { type: 'Warning', reason: 'FailedRescale', message: `New size: ${desired}; reason: ${rescaleReason}; error: ${msg}` });
        cond({
          type: 'AbleToScale',
          status: 'False',
          reason: 'FailedUpdateScale',
          message: `the HPA controller was unable to update the target scale: ${msg}`,
        });
        status = withStatus(status, currentReplicas, status.desiredReplicas ?? 0, statuses, false, now);
        await this.writeStatus(hpa, status);
        throw new Error(`failed to rescale ${reference}: ${msg}`);
      }
      cond({
        type: 'AbleToScale',
        status: 'True',
        reason: 'SucceededRescale',
        message: `the HPA controller was able to update the target scale to ${desired}`,
      });
      this.event(hpa, { type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${desired}; reason: ${rescaleReason}` });
      this.history.recordScale(key, spec.behavior, currentReplicas, desired, now);
    } else desired = currentReplicas;

    status = withStatus(status, currentReplicas, desired, statuses, rescale, now);
    await this.writeStatus(hpa, status);
    if (retErr) throw retErr;
  }

  private async failGetScale(hpa: HPA, status: any, cond: (u: ConditionUpdate) => void, err: Error, wrapped: string): Promise<never> {
    this.event(hpa, { type: 'Warning', reason: 'FailedGetScale', message: err.message });
    cond({
      type: 'AbleToScale',
      status: 'False',
      reason: 'FailedGetScale',
      message: `the HPA controller was unable to get the target's current scale: ${err.message}`,
    });
    await this.writeStatus(hpa, status);
    throw new Error(wrapped);
  }

  /** The target's pod selector from its scale; undefined (with condition and Event) when unusable. */
  private targetSelector(hpa: HPA, selector: string | undefined, cond: (u: ConditionUpdate) => void): string | { error: string } {
    if (!selector) {
      this.event(hpa, { type: 'Warning', reason: 'SelectorRequired', message: 'selector is required' });
      cond({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: "the HPA target's scale is missing a selector" });
      return { error: 'selector is required' };
    }
    try {
      parseLabelSelector(selector);
    } catch (err) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
      this.event(hpa, { type: 'Warning', reason: 'InvalidSelector', message: msg });
      cond({ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector', message: msg });
      return { error: msg };
    }
    return selector;
  }

  /** Writes status only when it differs from what the cache holds (updateStatusIfNeeded). */
  private async writeStatus(hpa: HPA, status: any): Promise<void> {
    if (!statusChanged(hpa.status, status)) return;
    try {
      await this.ctx.client.resource(resources.horizontalPodAutoscalers).updateStatus({ ...(hpa as any), status });
    } catch (err) {
      if (isNotFound(err)) return;
      throw new Error(`failed to update status for ${hpa.metadata?.name}: ${(err as Error).message}`);
    }
  }
}

export const horizontalPodAutoscalerController = (ctx: ControllerContext): HPAController => new HPAController(ctx);
