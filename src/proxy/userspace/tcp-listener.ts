// One TCP listening socket of the userspace proxy: each accepted connection is joined to an
// endpoint chosen by the balancer. A connect that fails (refused, unreachable, too slow) is
// retried on the next endpoint in turn, with growing timeouts, as kube-proxy's userspace mode
// did; with no endpoint at all the client gets a reset at once instead of a hang.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Logger } from '../../util/log.js';
import type { Backend, RoundRobin } from './round-robin.js';

export const CONNECT_TIMEOUTS_MS = [250, 500, 1000, 2000];

export class TcpListener {
  private server?: Server;
  private readonly open = new Set<Socket>();

  constructor(
    private readonly balancer: () => RoundRobin,
    private readonly log: Logger,
    private readonly timeouts = CONNECT_TIMEOUTS_MS,
  ) {}

  /** Listens on host:port (0 = any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, (client) => void this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.warn('tcp listener error', { host, port, error: err.message }));
        resolve((server.address() as { port: number }).port);
      });
    });
  }

  private async accept(client: Socket): Promise<void> {
    client.on('error', () => {});
    const clientIP = client.remoteAddress ?? '';
    const balancer = this.balancer();
    const attempts = Math.min(Math.max(balancer.size, 1), this.timeouts.length);
    for (let i = 0; i < attempts; i++) {
      const backend = balancer.pick(clientIP, i > 0);
      if (!backend) break;
      const upstream = await dial(backend, this.timeouts[i]!);
      if (!upstream) continue;
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      this.splice(client, upstream);
      return;
    }
    client.resetAndDestroy();
  }

  private splice(client: Socket, upstream: Socket): void {
    this.open.add(client);
    this.open.add(upstream);
    const done = () => {
      this.open.delete(client);
      this.open.delete(upstream);
    };
    client.on('close', () => {
      upstream.destroy();
      done();
    });
    upstream.on('close', () => {
      client.destroy();
      done();
    });
    upstream.on('error', () => {});
    // A proxy must not add Nagle delays to small writes (Go, which kube-proxy is written in, sets this by default).
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }

  /** Stops accepting; with `dropConnections` also cuts the connections it carries. */
  close(dropConnections = false): Promise<void> {
    if (dropConnections) for (const s of this.open) s.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

function dial(backend: Backend, timeoutMs: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: backend.ip, port: backend.port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(undefined);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(undefined);
    });
  });
}
