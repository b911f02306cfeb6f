// metrics.k8s.io/v1beta1, served as an aggregated API: NodeMetrics (cluster-scoped) and
// PodMetrics (namespaced), get and list with label selectors, from the usage store. Only
// nodes and pods that exist now are shown, with their labels, as metrics-server does.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { type AggregatedApiServer, type AggregatedRequest, type AggregatedResource, type AggregatedResult, failure } from '../api/aggregated.js';
import { type FieldSelector, type LabelSelector, parseFieldSelector, parseLabelSelector } from '../api/selectors.js';
import type { KObject } from '../api/types.js';
import { deepFreeze } from '../util/clone.js';
import { formatGoDuration } from '../util/go-duration.js';
import { cpuQuantity, memoryQuantity, rfc3339 } from './format.js';
import type { PodUsage, UsageStore } from './usage-store.js';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

const RESOURCES: AggregatedResource[] = [
  { name: 'nodes', singularName: '', kind: 'NodeMetrics', namespaced: false, verbs: ['get', 'list'] },
  { name: 'pods', singularName: '', kind: 'PodMetrics', namespaced: true, verbs: ['get', 'list'] },
];

export interface MetricsApiOptions {
  store: UsageStore;
  node(name: string): Node | undefined;
  nodes(): Node[];
  pod(namespace: string, name: string): Pod | undefined;
  now?: () => number;
}

// metrics-server's wording: the resource is named nodemetrics/podmetrics, a pod by namespace/name.
const notFound = (kind: 'nodemetrics' | 'podmetrics', name: string) =>
  failure(404, 'NotFound', `${kind}.${METRICS_GROUP} "${name}" not found`, { name, group: METRICS_GROUP, kind });

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function selectors(q: URLSearchParams): { labels?: LabelSelector; fields?: FieldSelector; error?: AggregatedResult } {
  try {
    const l = q.get('labelSelector');
    const f = q.get('fieldSelector');
    return { labels: l ? parseLabelSelector(l) : undefined, fields: f ? parseFieldSelector(f) : undefined };
  } catch (err) {
    return { error: failure(400, 'BadRequest', (err as Error).message) };
  }
}

interface PodFigures {
  readonly timestamp: string;
  readonly window: string;
  readonly containers: readonly KObject[];
}

// A pod's figures change only with a scrape, which makes a new PodUsage: they are written out
// once per scrape rather than once per request (frozen, since every answer until then shares them).
const figuresOf = new WeakMap<PodUsage, PodFigures>();
function podFigures(p: PodUsage): PodFigures {
  let f = figuresOf.get(p);
  if (!f) {
    f = deepFreeze({
      timestamp: rfc3339(p.timestamp),
      window: formatGoDuration(p.windowMs * 1e6),
      containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.usage.cpuNanoCores), memory: memoryQuantity(c.usage.memoryBytes) } })),
    });
    figuresOf.set(p, f);
  }
  return f;
}

export class MetricsApi implements AggregatedApiServer {
  readonly group = METRICS_GROUP;
  readonly versions = [METRICS_VERSION] as const;

  constructor(private readonly o: MetricsApiOptions) {}

  resources(): AggregatedResource[] {
    return RESOURCES;
  }

  available(): boolean {
    return true;
  }

  private nodeMetrics(node: Node): KObject | undefined {
    const name = node.metadata?.name ?? '';
    const u = this.o.store.node(name);
    if (!u) return undefined;
    return {
      kind: 'NodeMetrics',
      apiVersion: API_VERSION,
      metadata: { name, creationTimestamp: rfc3339((this.o.now ?? Date.now)()), ...(node.metadata?.labels ? { labels: { ...node.metadata.labels } } : {}) },
      timestamp: rfc3339(u.timestamp),
      window: formatGoDuration(u.windowMs * 1e6),
      usage: { cpu: cpuQuantity(u.cpuNanoCores), memory: memoryQuantity(u.memoryBytes) },
    };
  }

  private podMetrics(p: PodUsage, pod: Pod): KObject {
    const { timestamp, window, containers } = podFigures(p);
    return {
      kind: 'PodMetrics',
      apiVersion: API_VERSION,
      metadata: {
        name: p.name,
        namespace: p.namespace,
        creationTimestamp: rfc3339((this.o.now ?? Date.now)()),
        ...(pod.metadata?.labels ? { labels: { ...pod.metadata.labels } } : {}),
      },
      timestamp,
      window,
      containers,
    };
  }

  async handle(req: AggregatedRequest): Promise<AggregatedResult> {
    const kind = req.resource === 'nodes' ? 'nodes' : req.resource === 'pods' ? 'pods' : undefined;
    if (!kind || req.subresource) return failure(404, 'NotFound', 'the server could not find the requested resource');
    if (req.verb !== 'get' && req.verb !== 'list')
      return failure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, { group: METRICS_GROUP, kind });
    if (kind === 'nodes') return req.verb === 'get' ? this.getNode(req.name!) : this.listNodes(req.query);
    if (req.verb === 'get') {
      if (!req.namespace) return failure(404, 'NotFound', 'the server could not find the requested resource');
      return this.getPod(req.namespace, req.name!);
    }
    return this.listPods(req.namespace, req.query);
  }

  private getNode(name: string): AggregatedResult {
    const node = this.o.node(name);
    const m = node && this.nodeMetrics(node);
    return m ? { status: 200, body: m } : notFound('nodemetrics', name);
  }

  private listNodes(q: URLSearchParams): AggregatedResult {
    const sel = selectors(q);
    if (sel.error) return sel.error;
    const items: KObject[] = [];
    for (const node of this.o.nodes()) {
      const name = node.metadata?.name ?? '';
      if (sel.labels && !sel.labels.matches(node.metadata?.labels ?? {})) continue;
      if (sel.fields && !sel.fields.matches((f) => (f === 'metadata.name' ? name : undefined))) continue;
      const m = this.nodeMetrics(node);
      if (m) items.push(m);
    }
    items.sort((a, b) => byKey(a.metadata!.name!, b.metadata!.name!));
    return { status: 200, body: { kind: 'NodeMetricsList', apiVersion: API_VERSION, metadata: {}, items } };
  }

  private getPod(namespace: string, name: string): AggregatedResult {
    const pod = this.o.pod(namespace, name);
    const u = pod && this.o.store.pod(namespace, name);
    return u ? { status: 200, body: this.podMetrics(u, pod!) } : notFound('podmetrics', `${namespace}/${name}`);
  }

  private listPods(namespace: string | undefined, q: URLSearchParams): AggregatedResult {
    const sel = selectors(q);
    if (sel.error) return sel.error;
    const items: KObject[] = [];
    for (const u of this.o.store.pods(namespace)) {
      const pod = this.o.pod(u.namespace, u.name);
      if (!pod) continue;
      if (sel.labels && !sel.labels.matches(pod.metadata?.labels ?? {})) continue;
      if (sel.fields && !sel.fields.matches((f) => (f === 'metadata.name' ? u.name : f === 'metadata.namespace' ? u.namespace : undefined))) continue;
      items.push(this.podMetrics(u, pod));
    }
    return { status: 200, body: { kind: 'PodMetricsList', apiVersion: API_VERSION, metadata: {}, items } };
  }
}
