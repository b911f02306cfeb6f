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

export class DnsMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'server' | 'zone' | 'proto' | 'family' | 'type'>;
  readonly responses: Counter<'server' | 'zone' | 'rcode' | 'plugin'>;
  readonly duration: Histogram<'server' | 'zone' | 'type'>;
  readonly cacheHits: Counter<'server' | 'type' | 'zones'>;
  readonly cacheMisses: Counter<'server' | 'zones'>;
  readonly cacheEntries: Gauge<'server' | 'type' | 'zones'>;
  readonly forwardRequests: Counter<'to'>;
  readonly forwardResponses: Counter<'to' | 'rcode'>;
  readonly forwardDuration: Histogram<'to' | 'rcode'>;
  readonly panics: Counter;
  /** Called before each scrape, to bring gauges up to date. */
  onScrape?: () => void;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'proto', 'family', 'type'], registers });
    this.responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'rcode', 'plugin'], registers });
    this.duration = new Histogram({
      name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time (in seconds) each request took per zone.', labelNames: ['server', 'zone', 'type'], registers,
      buckets: [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192],
    });
    this.cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type', 'zones'], registers });
    this.cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses.', labelNames: ['server', 'zones'], registers });
    this.cacheEntries = new Gauge({ name: 'coredns_cache_entries', help: 'The number of elements in the cache.', labelNames: ['server', 'type', 'zones'], registers });
    this.forwardRequests = new Counter({ name: 'coredns_forward_requests_total', help: 'Counter of requests made per upstream.', labelNames: ['to'], registers });
    this.forwardResponses = new Counter({ name: 'coredns_forward_responses_total', help: 'Counter of responses received per upstream.', labelNames: ['to', 'rcode'], registers });
    this.forwardDuration = new Histogram({ name: 'coredns_forward_request_duration_seconds', help: 'Histogram of the time each request took.', labelNames: ['to', 'rcode'], registers, buckets: [0.00025, 0.001, 0.004, 0.016, 0.064, 0.256, 1.024, 4.096] });
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
    metrics.onScrape?.();
    metrics.registry.metrics().then(
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
