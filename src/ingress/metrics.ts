// The ingress's access log and Prometheus metrics. Metrics live in their own registry and are
// served on a small listener of their own (127.0.0.1, as ingress-nginx serves its metrics on a
// separate port), so no Ingress path is shadowed by /metrics.
import http from 'node:http';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Logger } from '../util/log.js';

export interface RequestRecord {
  ingress?: string;
  service?: string;
  host: string;
  path: string;
  method: string;
  status: number;
  upstream?: string;
  ms: number;
  /** Time until the upstream's response headers, when one answered. */
  upstreamMs?: number;
}

export class IngressMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'skiff_ingress_requests_total',
    help: 'Requests answered by the ingress, by Ingress (namespace/name), backend Service and status code.',
    labelNames: ['ingress', 'service', 'status'] as const,
    registers: [this.registry],
  });
  private readonly upstreamLatency = new Histogram({
    name: 'skiff_ingress_upstream_latency_seconds',
    help: 'Time from sending a request upstream until its response headers arrived, by Ingress and backend Service.',
    labelNames: ['ingress', 'service'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(private readonly access?: Logger) {}

  record(r: RequestRecord): void {
    const ingress = r.ingress ?? '';
    const service = r.service ?? '';
    this.requests.inc({ ingress, service, status: String(r.status) });
    if (r.upstreamMs !== undefined) this.upstreamLatency.observe({ ingress, service }, r.upstreamMs / 1000);
    this.access?.info('access', {
      time: new Date().toISOString(),
      ingress: r.ingress,
      host: r.host,
      method: r.method,
      path: r.path,
      status: r.status,
      upstream: r.upstream,
      duration: r.ms / 1000,
    });
  }

  /** GET /metrics on host:port (0: a free port). */
  serve(host: string, port: number, log: Logger): Promise<{ port: number; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => log.error('ingress metrics listener failed', { error: err.message }));
        const a = server.address() as { port: number };
        resolve({ port: a.port, close: () => new Promise((r) => server.close(() => r())) });
      });
    });
  }
}
