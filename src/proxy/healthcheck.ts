// healthCheckNodePort servers, as kube-proxy runs them for LoadBalancer Services with
// externalTrafficPolicy Local: an outside load balancer asks each node, and only nodes with a
// local endpoint answer 200 (the body says how many), the others 503.
import { createServer, type Server } from 'node:http';
import type { Logger } from '../util/log.js';
import { usableLocalEndpoints } from './endpoint-selection.js';
import type { ProxySnapshot } from './types.js';

interface Listener {
  server: Server;
  namespace: string;
  name: string;
  localEndpoints: number;
}

export class HealthCheckServers {
  private readonly byPort = new Map<number, Listener>();

  constructor(
    private readonly log: Logger,
    private readonly bindAddress = '0.0.0.0',
  ) {}

  /** Opens, updates and closes servers to match the snapshot. */
  update(snapshot: ProxySnapshot): void {
    const want = new Map<number, { namespace: string; name: string; local: number }>();
    for (const [key, svc] of snapshot.services) {
      if (!svc.healthCheckNodePort) continue;
      const local = usableLocalEndpoints(snapshot.endpoints.get(key) ?? []).length;
      // Several ports of one Service share its health check port: the count is per Service.
      const prev = want.get(svc.healthCheckNodePort);
      want.set(svc.healthCheckNodePort, { namespace: svc.namespace, name: svc.name, local: Math.max(prev?.local ?? 0, local) });
    }
    for (const [port, l] of this.byPort)
      if (!want.has(port)) {
        l.server.close();
        this.byPort.delete(port);
      }
    for (const [port, w] of want) {
      const existing = this.byPort.get(port);
      if (existing) {
        Object.assign(existing, { namespace: w.namespace, name: w.name, localEndpoints: w.local });
        continue;
      }
      const l: Listener = {
        server: createServer((_req, res) => {
          res.setHeader('Content-Type', 'application/json');
          res.setHeader('X-Content-Type-Options', 'nosniff');
          res.statusCode = l.localEndpoints > 0 ? 200 : 503;
          res.end(JSON.stringify({ service: { namespace: l.namespace, name: l.name }, localEndpoints: l.localEndpoints, serviceProxyHealthy: true }));
        }),
        namespace: w.namespace,
        name: w.name,
        localEndpoints: w.local,
      };
      l.server.on('error', (err) => this.log.warn('health check node port cannot listen', { port, service: `${w.namespace}/${w.name}`, error: err.message }));
      l.server.listen(port, this.bindAddress);
      this.byPort.set(port, l);
    }
  }

  close(): void {
    for (const l of this.byPort.values()) l.server.close();
    this.byPort.clear();
  }
}
