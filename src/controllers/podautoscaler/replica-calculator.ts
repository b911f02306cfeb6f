// Kubernetes' replica calculator: from per-pod usage and the pods behind a scale target,
// how many replicas would bring the average to the target. Pods being deleted or failed
// are ignored; pending pods, and CPU readings of pods still starting, count as unready;
// ready pods without a metric are "missing". Missing and unready pods are assumed to
// use whatever would damp the proposed change, and a change of direction is refused.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { milliValue } from '../../api/core/resources.js';
import type { PodMetricsInfo, ResourceMetrics, ResourceMetricsClient } from './metrics-client.js';

export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay */
export const INITIAL_READINESS_DELAY_MS = 30_000;

export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

export function isWithinTolerance(ratio: number, t: Tolerances): boolean {
  return 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;
}

/** The pods matching a target's selector, from a cache. */
export type PodLister = (namespace: string, selector: string) => Pod[];

export interface ReplicaCalculatorOptions {
  metrics: ResourceMetricsClient;
  pods: PodLister;
  now?: () => number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
}

export interface UtilizationProposal {
  replicas: number;
  /** Average utilization of the ready pods, in percent of their requests. */
  utilization: number;
  /** Average raw usage of the ready pods, in milli-units. */
  rawAverage: number;
  timestamp: number;
}

export interface RawProposal {
  replicas: number;
  /** Average usage in milli-units. */
  usage: number;
  timestamp: number;
}

interface PodGroups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const parseTime = (s: string | undefined): number | undefined => (s ? Date.parse(s) : undefined);

export class ReplicaCalculator {
  private readonly now: () => number;
  private readonly cpuInitMs: number;
  private readonly readinessDelayMs: number;

  constructor(private readonly opts: ReplicaCalculatorOptions) {
    this.now = opts.now ?? Date.now;
    this.cpuInitMs = opts.cpuInitializationPeriodMs ?? CPU_INITIALIZATION_PERIOD_MS;
    this.readinessDelayMs = opts.initialReadinessDelayMs ?? INITIAL_READINESS_DELAY_MS;
  }

  /** Target type Utilization: usage as a percentage of the pods' requests. */
  async getResourceReplicas(
    currentReplicas: number,
    targetUtilization: number,
    resource: string,
    tolerances: Tolerances,
    namespace: string,
    selector: string,
    container: string,
  ): Promise<UtilizationProposal> {
    let fetched: ResourceMetrics;
    try {
      fetched = await this.opts.metrics.getResourceMetric(resource, namespace, selector, container);
    } catch (err) {
      throw new Error(`unable to get metrics for resource ${resource}: ${(err as Error).message}`);
    }
    const metrics = new Map(fetched.metrics);
    const pods = this.opts.pods(namespace, selector);
    if (!pods.length) throw new Error('no pods returned by selector while calculating replica count');
    const g = this.groupPods(pods, metrics, resource);
    for (const n of g.ignored) metrics.delete(n);
    for (const n of g.unready) metrics.delete(n);
    if (!metrics.size) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
    const requests = podRequests(pods, container, resource);
    const first = utilizationRatio(metrics, requests, targetUtilization);
    const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
    const result = (replicas: number): UtilizationProposal => ({
      replicas,
      utilization: first.utilization,
      rawAverage: first.rawAverage,
      timestamp: fetched.timestamp,
    });
    if (!scaleUpWithUnready && !g.missing.size) {
      if (isWithinTolerance(first.ratio, tolerances)) return result(currentReplicas);
      return result(Math.ceil(first.ratio * g.readyCount));
    }
    if (g.missing.size) {
      // Scaling down: a missing pod is taken as using its whole request (or the target, if
      // that is higher); scaling up: as using nothing.
      const fallback = Math.max(100, targetUtilization);
      for (const n of g.missing) {
        const value = first.ratio < 1 ? Math.floor(((requests.get(n) ?? 0) * fallback) / 100) : 0;
        metrics.set(n, { timestamp: 0, windowMs: 0, value });
      }
    }
    if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { timestamp: 0, windowMs: 0, value: 0 });
    const second = utilizationRatio(metrics, requests, targetUtilization);
    if (isWithinTolerance(second.ratio, tolerances) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1))
      return result(currentReplicas);
    const proposed = Math.ceil(second.ratio * metrics.size);
    if ((second.ratio < 1 && proposed > currentReplicas) || (second.ratio > 1 && proposed < currentReplicas)) return result(currentReplicas);
    return result(proposed);
  }

  /** Target type AverageValue: raw usage per pod, in milli-units. */
  async getRawResourceReplicas(
    currentReplicas: number,
    targetUsage: number,
    resource: string,
    tolerances: Tolerances,
    namespace: string,
    selector: string,
    container: string,
  ): Promise<RawProposal> {
    let fetched: ResourceMetrics;
    try {
      fetched = await this.opts.metrics.getResourceMetric(resource, namespace, selector, container);
    } catch (err) {
      throw new Error(`unable to get metrics for resource ${resource}: ${(err as Error).message}`);
    }
    const { replicas, usage } = this.plainMetricReplicas(new Map(fetched.metrics), currentReplicas, targetUsage, tolerances, namespace, selector, resource);
    return { replicas, usage, timestamp: fetched.timestamp };
  }

  private plainMetricReplicas(
    metrics: PodMetricsInfo,
    currentReplicas: number,
    targetUsage: number,
    tolerances: Tolerances,
    namespace: string,
    selector: string,
    resource: string,
  ): { replicas: number; usage: number } {
    const pods = this.opts.pods(namespace, selector);
    if (!pods.length) throw new Error('no pods returned by selector while calculating replica count');
    const g = this.groupPods(pods, metrics, resource);
    for (const n of g.ignored) metrics.delete(n);
    for (const n of g.unready) metrics.delete(n);
    if (!metrics.size) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
    const first = usageRatio(metrics, targetUsage);
    const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
    if (!scaleUpWithUnready && !g.missing.size) {
      if (isWithinTolerance(first.ratio, tolerances)) return { replicas: currentReplicas, usage: first.usage };
      return { replicas: Math.ceil(first.ratio * g.readyCount), usage: first.usage };
    }
    for (const n of g.missing) metrics.set(n, { timestamp: 0, windowMs: 0, value: first.ratio < 1 ? targetUsage : 0 });
    if (scaleUpWithUnready) for (const n of g.unready) metrics.set(n, { timestamp: 0, windowMs: 0, value: 0 });
    const second = usageRatio(metrics, targetUsage);
    if (isWithinTolerance(second.ratio, tolerances) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1))
      return { replicas: currentReplicas, usage: first.usage };
    const proposed = Math.ceil(second.ratio * metrics.size);
    if ((second.ratio < 1 && proposed > currentReplicas) || (second.ratio > 1 && proposed < currentReplicas))
      return { replicas: currentReplicas, usage: first.usage };
    return { replicas: proposed, usage: first.usage };
  }

  private groupPods(pods: Pod[], metrics: PodMetricsInfo, resource: string): PodGroups {
    const g: PodGroups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
    const now = this.now();
    for (const pod of pods) {
      const name = pod.metadata?.name ?? '';
      if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed') {
        g.ignored.add(name);
        continue;
      }
      if (pod.status?.phase === 'Pending') {
        g.unready.add(name);
        continue;
      }
      const metric = metrics.get(name);
      if (!metric) {
        g.missing.add(name);
        continue;
      }
      if (resource === 'cpu' && this.cpuUnready(pod, metric.timestamp, metric.windowMs, now)) {
        g.unready.add(name);
        continue;
      }
      g.readyCount++;
    }
    return g;
  }

  /** A starting pod's CPU reading may include its start-up burst: such pods count as unready. */
  private cpuUnready(pod: Pod, metricTime: number, windowMs: number, now: number): boolean {
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    const start = parseTime(pod.status?.startTime);
    if (!ready || start === undefined) return true;
    const transition = parseTime(ready.lastTransitionTime) ?? 0;
    if (start + this.cpuInitMs > now) return ready.status === 'False' || metricTime < transition + windowMs;
    return ready.status === 'False' && start + this.readinessDelayMs > transition;
  }
}

/** Each pod's request for `resource` (milli-units), over its containers or one named container. */
export function podRequests(pods: Pod[], container: string, resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
    for (const c of [...(pod.spec?.containers ?? []), ...sidecars]) {
      if (container && c.name !== container) continue;
      const q = c.resources?.requests?.[resource];
      if (q === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`);
      sum += milliValue(q);
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

/** GetResourceUtilizationRatio: only pods with both a metric and a known request count. */
export function utilizationRatio(
  metrics: PodMetricsInfo,
  requests: Map<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; rawAverage: number } {
  let usage = 0;
  let requested = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    usage += m.value;
    requested += r;
    entries++;
  }
  if (requested === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((usage * 100) / requested);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(usage / entries) };
}

/** GetMetricUsageRatio: the average over all entries against the target. */
export function usageRatio(metrics: PodMetricsInfo, target: number): { ratio: number; usage: number } {
  let sum = 0;
  for (const m of metrics.values()) sum += m.value;
  const usage = Math.trunc(sum / metrics.size);
  return { ratio: usage / target, usage };
}
