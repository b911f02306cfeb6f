// The ingress's access log and Prometheus metrics. Metrics live in their own registry and are
// served on a small listener of their own (127.0.0.1, as ingress-nginx serves its metrics on a
// separate port), so no Ingress path is shadowed by /metrics.
import http from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
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

/** A long-lived connection: an upgraded request (WebSocket or other), TLS passthrough, a TCP port of the ConfigMap, or a UDP client flow. */
export interface ConnectionRecord {
  kind: 'websocket' | 'upgrade' | 'passthrough' | 'tcp' | 'udp';
  ingress?: string;
  service?: string;
  /** Host header, or the SNI name for passthrough; '' for a TCP port. */
  host: string;
  /** Request path for upgrades; the node port for TCP and UDP. */
  path?: string;
  upstream: string;
}

export interface ConnectionEnd {
  /** Bytes from the client, and to it. */
  bytesIn: number;
  bytesOut: number;
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

  private readonly connections = new Counter({
    name: 'skiff_ingress_connections_total',
    help: 'Long-lived connections opened through the ingress (kind websocket, upgrade, passthrough, tcp, udp client flows), by Ingress and backend Service.',
    labelNames: ['ingress', 'service', 'kind'] as const,
    registers: [this.registry],
  });
  private readonly open = new Gauge({
    name: 'skiff_ingress_open_connections',
    help: 'Long-lived connections open now, by kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly connectionBytes = new Counter({
    name: 'skiff_ingress_connection_bytes_total',
    help: 'Bytes carried by closed long-lived connections, by Ingress, backend Service, kind and direction (in: from the client).',
    labelNames: ['ingress', 'service', 'kind', 'direction'] as const,
    registers: [this.registry],
  });

  constructor(private readonly access?: Logger) {
    for (const kind of ['websocket', 'upgrade', 'passthrough', 'tcp', 'udp']) this.open.set({ kind }, 0);
  }

  /**
   * Counts a connection as it opens (an upgrade also as a request answered 101); the returned
   * function, called once when it closes, writes its access log line with duration and bytes.
   */
  connection(c: ConnectionRecord): (end: ConnectionEnd) => void {
    const start = Date.now();
    const ingress = c.ingress ?? '';
    const service = c.service ?? '';
    this.connections.inc({ ingress, service, kind: c.kind });
    if (c.kind === 'websocket' || c.kind === 'upgrade') this.requests.inc({ ingress, service, status: '101' });
    this.open.inc({ kind: c.kind });
    let closed = false;
    return (end) => {
      if (closed) return;
      closed = true;
      this.open.dec({ kind: c.kind });
      this.connectionBytes.inc({ ingress, service, kind: c.kind, direction: 'in' }, end.bytesIn);
      this.connectionBytes.inc({ ingress, service, kind: c.kind, direction: 'out' }, end.bytesOut);
      this.access?.info('access', {
        time: new Date(start).toISOString(),
        kind: c.kind,
        ingress: c.ingress,
        host: c.host,
        path: c.path,
        status: c.kind === 'websocket' || c.kind === 'upgrade' ? 101 : undefined,
        upstream: c.upstream,
        duration: (Date.now() - start) / 1000,
        bytesIn: end.bytesIn,
        bytesOut: end.bytesOut,
      });
    };
  }

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
