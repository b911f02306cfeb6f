// The resource metrics the autoscaler reads: per-pod usage from metrics.k8s.io/v1beta1
// PodMetrics, summed over a pod's containers (or one named container), in milli-units.
import { milliValue } from '../../api/core/resources.js';
import type { Client } from '../../client/client.js';

export interface PodMetric {
  /** When the usage was measured (ms since epoch). */
  timestamp: number;
  /** Over how long it was averaged (ms). */
  windowMs: number;
  /** Usage in milli-units (millicores; milli-bytes for memory). */
  value: number;
}

/** Pod name → its metric. */
export type PodMetricsInfo = Map<string, PodMetric>;

export interface ResourceMetrics {
  metrics: PodMetricsInfo;
  /** The first pod's measurement time, as Kubernetes reports it. */
  timestamp: number;
}

export interface ResourceMetricsClient {
  /** Usage of `resource` by the pods `selector` picks; `container` '' means the whole pod. */
  getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<ResourceMetrics>;
}

interface PodMetricsItem {
  metadata?: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: Array<{ name?: string; usage?: Record<string, string> }>;
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** A Go duration string ("15s", "1m0s", "500ms") in milliseconds; 0 when unreadable. */
export function parseGoDuration(s: string | undefined): number {
  if (!s) return 0;
  let total = 0;
  const re = /([0-9.]+)(ms|us|µs|ns|h|m|s)/g;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === s.length ? total : 0;
}

function itemMeta(item: PodMetricsItem): { timestamp: number; windowMs: number } {
  return { timestamp: Date.parse(item.timestamp ?? '') || 0, windowMs: parseGoDuration(item.window) };
}

/** Whole-pod sums; a pod with no containers or one lacking the resource is left out. */
export function podMetricsFrom(items: PodMetricsItem[], resource: string): PodMetricsInfo {
  const out: PodMetricsInfo = new Map();
  for (const item of items) {
    const containers = item.containers ?? [];
    if (!containers.length || !item.metadata?.name) continue;
    let sum = 0;
    let missing = false;
    for (const c of containers) {
      const q = c.usage?.[resource];
      if (q === undefined) {
        missing = true;
        break;
      }
      sum += milliValue(q);
    }
    if (!missing) out.set(item.metadata.name, { ...itemMeta(item), value: sum });
  }
  return out;
}

/** One named container per pod; that container lacking the resource is an error, as in Kubernetes. */
export function containerMetricsFrom(items: PodMetricsItem[], resource: string, container: string): PodMetricsInfo {
  const out: PodMetricsInfo = new Map();
  for (const item of items) {
    const c = (item.containers ?? []).find((x) => x.name === container);
    if (!c || !item.metadata?.name) continue;
    const q = c.usage?.[resource];
    if (q === undefined)
      throw new Error(`failed to get resource ${resource} for container ${container} in pod ${item.metadata.namespace}/${item.metadata.name}`);
    out.set(item.metadata.name, { ...itemMeta(item), value: milliValue(q) });
  }
  return out;
}

/** Reads PodMetrics through the API server, as the controller manager's REST metrics client does. */
export class RestResourceMetricsClient implements ResourceMetricsClient {
  constructor(private readonly client: Client) {}

  async getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<ResourceMetrics> {
    let items: PodMetricsItem[];
    try {
      const list = await this.client.transport.request({
        method: 'GET',
        path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods`,
        query: selector ? { labelSelector: selector } : undefined,
      });
      items = Array.isArray(list?.items) ? list.items : [];
    } catch (err) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${(err as Error).message}`);
    }
    if (!items.length) throw new Error('no metrics returned from resource metrics API');
    let metrics: PodMetricsInfo;
    if (container) {
      try {
        metrics = containerMetricsFrom(items, resource, container);
      } catch (err) {
        throw new Error(`failed to get container metrics: ${(err as Error).message}`);
      }
    } else metrics = podMetricsFrom(items, resource);
    return { metrics, timestamp: itemMeta(items[0]!).timestamp };
  }
}
