// Prometheus metrics under CoreDNS's names, so that dashboards and alerts written for
// CoreDNS read Skiff's DNS unchanged; served at /metrics (port 9153, as CoreDNS).
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../util/log.js';

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const KNOWN_TYPES = new Set(['A', 'AAAA', 'SRV', 'PTR', 'TXT', 'CNAME', 'SOA', 'NS', 'MX', 'ANY', 'HTTPS']);

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? (rcode === 16 ? 'BADVERS' : String(rcode));
}

/** CoreDNS folds uncommon types into "other", so that label values stay few. */
export function typeLabel(typeName: string): string {
  return KNOWN_TYPES.has(typeName) ? typeName : 'other';
}

const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

interface DurationSeries {
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The per-query series (requests, responses, durations), counted in plain maps and written
 * out at scrape time: the generic client's label handling costs more than answering a
 * cached question does.
 */
export class QueryStats {
  server = 'dns://:53';
  // Nested by label rather than keyed by a joined string: the label values are the same
  // few string objects every time, so each lookup hashes nothing new and allocates nothing.
  private readonly requests = new Map<string, Map<number, Map<string, number>>>();
  private readonly responses = new Map<string, Map<string, number>>();
  private readonly durations = new Map<string, DurationSeries>();

  record(proto: string, family: number, type: string, rcode: string, plugin: string, seconds: number): void {
    let byFamily = this.requests.get(proto);
    if (!byFamily) this.requests.set(proto, (byFamily = new Map()));
    let byType = byFamily.get(family);
    if (!byType) byFamily.set(family, (byType = new Map()));
    byType.set(type, (byType.get(type) ?? 0) + 1);
    let byPlugin = this.responses.get(rcode);
    if (!byPlugin) this.responses.set(rcode, (byPlugin = new Map()));
    byPlugin.set(plugin, (byPlugin.get(plugin) ?? 0) + 1);
    let d = this.durations.get(type);
    if (!d) this.durations.set(type, (d = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    d.sum += seconds;
    d.count++;
    for (let i = 0; i < DURATION_BUCKETS.length; i++)
      if (seconds <= DURATION_BUCKETS[i]!) {
        d.buckets[i]!++;
        break;
      }
  }

  /** Prometheus text exposition of the three series. */
  render(): string {
    const base = `server="${this.server}",zone="."`;
    const out: string[] = [
      '# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family.',
      '# TYPE coredns_dns_requests_total counter',
    ];
    for (const [proto, byFamily] of this.requests)
      for (const [family, byType] of byFamily)
        for (const [type, v] of byType) out.push(`coredns_dns_requests_total{${base},proto="${proto}",family="${family}",type="${type}"} ${v}`);
    out.push('# HELP coredns_dns_responses_total Counter of response status codes.', '# TYPE coredns_dns_responses_total counter');
    for (const [rcode, byPlugin] of this.responses)
      for (const [plugin, v] of byPlugin) out.push(`coredns_dns_responses_total{${base},rcode="${rcode}",plugin="${plugin}"} ${v}`);
    out.push(
      '# HELP coredns_dns_request_duration_seconds Histogram of the time (in seconds) each request took per zone.',
      '# TYPE coredns_dns_request_duration_seconds histogram',
    );
    for (const [type, d] of this.durations) {
      let cum = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cum += d.buckets[i]!;
        out.push(`coredns_dns_request_duration_seconds_bucket{${base},type="${type}",le="${le}"} ${cum}`);
      });
      out.push(`coredns_dns_request_duration_seconds_bucket{${base},type="${type}",le="+Inf"} ${d.count}`);
      out.push(`coredns_dns_request_duration_seconds_sum{${base},type="${type}"} ${d.sum}`);
      out.push(`coredns_dns_request_duration_seconds_count{${base},type="${type}"} ${d.count}`);
    }
    return out.join('\n') + '\n';
  }
}

export class DnsMetrics {
  readonly registry = new Registry();
  readonly queries = new QueryStats();
  readonly cacheHits: Counter<'server' | 'type' | 'zones'>;
  /** Cache hits counted plainly on the hot path; moved into `cacheHits` at scrape time. */
  readonly cacheHitCounts = { success: 0, denial: 0 };
  readonly cacheMisses: Counter<'server' | 'zones'>;
  readonly cacheEntries: Gauge<'server' | 'type' | 'zones'>;
  readonly forwardRequests: Counter<'to'>;
  readonly forwardResponses: Counter<'to' | 'rcode'>;
  readonly forwardDuration: Histogram<'to' | 'rcode'>;
  readonly panics: Counter;
  /** Called before each scrape, to bring gauges up to date. */
  onScrape?: () => void;

  /** The whole exposition: the registry's series and the per-query ones. */
  async text(): Promise<string> {
    this.onScrape?.();
    this.cacheHits.reset();
    for (const [type, n] of Object.entries(this.cacheHitCounts)) if (n) this.cacheHits.labels(this.queries.server, type, '.').inc(n);
    return (await this.registry.metrics()) + this.queries.render();
  }

  constructor() {
    const registers = [this.registry];
    this.cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type', 'zones'], registers });
    this.cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses.', labelNames: ['server', 'zones'], registers });
    this.cacheEntries = new Gauge({
      name: 'coredns_cache_entries',
      help: 'The number of elements in the cache.',
      labelNames: ['server', 'type', 'zones'],
      registers,
    });
    this.forwardRequests = new Counter({
      name: 'coredns_forward_requests_total',
      help: 'Counter of requests made per upstream.',
      labelNames: ['to'],
      registers,
    });
    this.forwardResponses = new Counter({
      name: 'coredns_forward_responses_total',
      help: 'Counter of responses received per upstream.',
      labelNames: ['to', 'rcode'],
      registers,
    });
    this.forwardDuration = new Histogram({
      name: 'coredns_forward_request_duration_seconds',
      help: 'Histogram of the time each request took.',
      labelNames: ['to', 'rcode'],
      registers,
      buckets: [0.00025, 0.001, 0.004, 0.016, 0.064, 0.256, 1.024, 4.096],
    });
    this.panics = new Counter({ name: 'coredns_panics_total', help: 'A metrics that counts the number of panics.', registers });
  }
}

/** GET /metrics on host:port (0: a free port); resolves to the bound port. */
export function serveMetrics(metrics: DnsMetrics, host: string, port: number, log: Logger): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404).end('not found\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      server.on('error', (err) => log.error('metrics server failed', { error: err.message }));
      const addr = server.address() as { port: number };
      resolve({ port: addr.port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
