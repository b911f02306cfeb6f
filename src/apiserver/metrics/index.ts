// The apiserver's Prometheus series under kube-apiserver's names, labels and buckets, plus
// the process defaults; GET /metrics writes them together with the registries of the
// components that run in this process (scheduler, controller manager), so one scrape sees
// what a kube-apiserver, kube-scheduler and kube-controller-manager would show.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResourceRegistry } from '../../api/registry.js';
import type { ResourceDef } from '../../api/types.js';
import type { Store } from '../../storage/store.js';
import { requestResourceInfo, requestUrl, type ResourceRequestInfo } from '../request-info.js';
import { REQUEST_DURATION_BUCKETS } from './buckets.js';
import { isLongRunning, requestLabels } from './request-labels.js';

const REQUEST_LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
/** Object counts are asked of the store at most this often (kube-apiserver: every minute). */
const OBJECT_COUNT_TTL_MS = 5_000;

export interface MetricsPage {
  contentType: string;
  body: string;
}

export class ApiServerMetrics {
  readonly registry = new Registry();
  private readonly others: Registry[] = [];
  private readonly requests: Counter<(typeof REQUEST_LABELS)[number] | 'code'>;
  private readonly durations: Histogram<(typeof REQUEST_LABELS)[number]>;
  private readonly inflight: Gauge<'request_kind'>;
  private readonly watchEvents: Counter<'group' | 'version' | 'kind'>;
  /** The resources served; paths naming anything else are labelled as non-resource requests. */
  private resources?: ResourceRegistry;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...REQUEST_LABELS, 'code'],
      registers,
    });
    this.durations = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: [...REQUEST_LABELS],
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    });
    this.inflight = new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Maximal number of currently used inflight request limit of this apiserver per request kind in last second.',
      labelNames: ['request_kind'],
      registers,
    });
    this.inflight.set({ request_kind: 'readOnly' }, 0);
    this.inflight.set({ request_kind: 'mutating' }, 0);
    this.watchEvents = new Counter({
      name: 'apiserver_watch_events_total',
      help: 'Number of events sent in watch clients',
      labelNames: ['group', 'version', 'kind'],
      registers,
    });
  }

  /** Counts a request from its arrival to its response's end (a watch: to its stream's end). */
  track(req: IncomingMessage, res: ServerResponse): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = requestUrl(req);
    let info: ResourceRequestInfo | undefined;
    try {
      info = requestResourceInfo(req, method, url.pathname, url.searchParams) ?? undefined;
    } catch {
      // A path that does not parse (bad escapes) is refused by the handler with a 400; counted as what it is, no resource.
    }
    const finish = this.begin(method, info, url.searchParams, req.headers['content-type']);
    res.once('close', () => finish(res.statusCode));
  }

  /**
   * Counts a request of a component in this process (scheduler, controllers), which reaches
   * the handlers without HTTP; kube-apiserver counts their loopback requests the same way.
   * Call the returned function with the response's code.
   */
  begin(method: string, parsed: ResourceRequestInfo | undefined, query: URLSearchParams, contentType: string | undefined): (code: number) => void {
    const start = performance.now();
    let info = parsed;
    // Made-up resource names in URLs must not grow the series without bound (they answer 404).
    if (info && this.resources && !this.resources.lookup(info.group, info.version, info.resource)) info = undefined;
    const labels = requestLabels(method, info, query, contentType);
    const kind = isLongRunning(labels, info, query) ? undefined : labels.verb === 'GET' || labels.verb === 'LIST' ? 'readOnly' : 'mutating';
    if (kind) this.inflight.inc({ request_kind: kind });
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      if (kind) this.inflight.dec({ request_kind: kind });
      this.requests.inc({ ...labels, code: String(code) });
      // As kube-apiserver: a watch's length says how long the client watched, not how fast it was served.
      if (labels.verb !== 'WATCH') this.durations.observe(labels, (performance.now() - start) / 1000);
    };
  }

  /** One event written to a watch client. */
  watchEvent(def: Pick<ResourceDef, 'group' | 'version' | 'kind'> | undefined): void {
    if (def) this.watchEvents.inc({ group: def.group, version: def.version, kind: def.kind });
  }

  /**
   * apiserver_storage_objects{resource}: live keys per stored resource, counted by the store;
   * from now on only the resources of `resources` are labelled by name.
   */
  countObjects(resources: ResourceRegistry, store: Store): void {
    this.resources = resources;
    let cached: { at: number; counts: Map<string, number> } | undefined;
    const count = async (): Promise<Map<string, number>> => {
      if (cached && performance.now() - cached.at < OBJECT_COUNT_TTL_MS) return cached.counts;
      const byPrefix = new Map<string, string>();
      for (const def of resources.all()) {
        const prefix = resources.storage(def).prefix;
        if (!byPrefix.has(prefix)) byPrefix.set(prefix, def.group ? `${def.plural}.${def.group}` : def.plural);
      }
      const counts = new Map<string, number>();
      await Promise.all([...byPrefix].map(async ([prefix, name]) => counts.set(name, await store.count(prefix))));
      cached = { at: performance.now(), counts };
      return counts;
    };
    new Gauge({
      name: 'apiserver_storage_objects',
      help: 'Number of stored objects at the time of last check split by kind.',
      labelNames: ['resource'],
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const [resource, n] of await count()) this.set({ resource }, n);
        } catch {
          // A store that cannot count right now leaves the series out of this scrape, not the page.
        }
      },
    });
  }

  /** Serves the series of `registry` (another component in this process) on this /metrics too. */
  include(registry: Registry): void {
    if (registry !== this.registry && !this.others.includes(registry)) this.others.push(registry);
  }

  async render(): Promise<MetricsPage> {
    const merged = Registry.merge([this.registry, ...this.others]);
    return { contentType: this.registry.contentType, body: await merged.metrics() };
  }
}
