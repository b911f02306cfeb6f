// Plain TCP and UDP services on node ports, configured as ingress-nginx does: ConfigMaps
// kube-system/skiff-ingress-tcp and skiff-ingress-udp whose data maps a port to
// "namespace/service:port". Changes apply live: new ports open, removed ones close, a changed
// target takes effect on the next connection (UDP: the next client flow). Endpoints come from
// the EndpointSlices at connect time, round robin, skipping passively ejected ones.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../util/log.js';
import type { Policy } from './balance.js';
import type { EndpointPicker, Upstream } from './endpoints.js';
import type { ConnectionEnd, ConnectionRecord } from './metrics.js';
import type { ServiceBackend } from './route-table.js';

export const TCP_CONFIGMAP = 'skiff-ingress-tcp';
export const UDP_CONFIGMAP = 'skiff-ingress-udp';
export const L4_NAMESPACE = 'kube-system';

const CONNECT_TIMEOUT_MS = 5_000;
/** A UDP client flow with no datagram either way for this long is forgotten. */
const UDP_IDLE_MS = 30_000;
/** Bounds the memory UDP flows can take per port. */
const UDP_MAX_FLOWS = 4_096;

export interface L4Entry {
  port: number;
  target: ServiceBackend;
}

/** Parses a ConfigMap's data; bad entries come back as problems and are skipped. */
export function parseL4Data(data: Readonly<Record<string, string>> | undefined): { entries: L4Entry[]; problems: string[] } {
  const entries: L4Entry[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data ?? {})) {
    const port = Number(key);
    if (!/^\d+$/.test(key) || port < 1 || port > 65535) {
      problems.push(`key ${JSON.stringify(key)} is not a port number (1-65535)`);
      continue;
    }
    // "ns/svc:port", optionally followed by ingress-nginx's ":PROXY" flags, which are ignored.
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?):([^:]+)(:.*)?$/.exec(value.trim());
    if (!m) {
      problems.push(`port ${port}: value ${JSON.stringify(value)} is not "namespace/service:port"`);
      continue;
    }
    const p = m[5]!;
    entries.push({ port, target: { namespace: m[1]!, service: m[3]!, port: /^\d+$/.test(p) ? Number(p) : p } });
  }
  return { entries, problems };
}

interface Exposed {
  target: ServiceBackend;
  close(): Promise<void>;
}

export class L4Proxy {
  private readonly exposed = { TCP: new Map<number, Exposed>(), UDP: new Map<number, Exposed>() };
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly picker: EndpointPicker,
    private readonly addresses: readonly string[],
    private readonly log: Logger,
    /** Counts TCP connections in the metrics and access log. */
    private readonly onConnection?: (c: ConnectionRecord) => (end: ConnectionEnd) => void,
  ) {}

  /** The ports currently open, per protocol. */
  ports(protocol: 'TCP' | 'UDP'): number[] {
    return [...this.exposed[protocol].keys()].sort((a, b) => a - b);
  }

  /** Makes the open ports of one protocol match `entries`; calls are applied in order. */
  apply(protocol: 'TCP' | 'UDP', entries: readonly L4Entry[]): Promise<void> {
    this.queue = this.queue.then(() => this.reconcile(protocol, entries));
    return this.queue;
  }

  close(): Promise<void> {
    this.queue = this.queue.then(async () => {
      await this.reconcile('TCP', []);
      await this.reconcile('UDP', []);
    });
    return this.queue;
  }

  private async reconcile(protocol: 'TCP' | 'UDP', entries: readonly L4Entry[]): Promise<void> {
    const open = this.exposed[protocol];
    const want = new Map(entries.map((e) => [e.port, e.target]));
    for (const [port, ex] of open)
      if (!want.has(port)) {
        open.delete(port);
        await ex.close();
        this.log.info('ingress port closed', { protocol, port });
      }
    for (const [port, target] of want) {
      const cur = open.get(port);
      if (cur) {
        cur.target = target;
        continue;
      }
      try {
        const ex = protocol === 'TCP' ? await this.openTcp(port, target) : await this.openUdp(port, target);
        open.set(port, ex);
        this.log.info('ingress port opened', { protocol, port, target: `${target.namespace}/${target.service}:${target.port}` });
      } catch (err) {
        this.log.warn('ingress port cannot be opened', { protocol, port, error: (err as Error).message });
      }
    }
  }

  private pick(target: ServiceBackend, protocol: 'TCP' | 'UDP'): Upstream | undefined {
    return pickUpstream(this.picker, target, protocol);
  }

  private async openTcp(port: number, target: ServiceBackend): Promise<Exposed> {
    const ex: Exposed = { target, close: async () => {} };
    const sockets = new Set<net.Socket>();
    const settled = await Promise.allSettled(
      this.addresses.map(
        (address) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer({ pauseOnConnect: true }, (client) => {
              sockets.add(client);
              client.once('close', () => sockets.delete(client));
              client.on('error', () => client.destroy());
              const t = ex.target;
              spliceToService(this.picker, client, t, {
                onOpen: (up) => this.onConnection?.({ kind: 'tcp', service: `${t.namespace}/${t.service}`, host: '', path: String(port), upstream: up.key }),
              });
            });
            server.once('error', reject);
            server.listen({ host: address, port }, () => resolve(server));
          }),
      ),
    );
    const servers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      for (const s of servers) s.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    ex.close = () =>
      new Promise<void>((r) => {
        let left = servers.length;
        for (const s of servers) s.close(() => --left === 0 && r());
        for (const s of sockets) s.destroy();
      });
    return ex;
  }

  private async openUdp(port: number, target: ServiceBackend): Promise<Exposed> {
    const ex: Exposed = { target, close: async () => {} };
    const flows = new Map<string, { sock: dgram.Socket; timer: NodeJS.Timeout; bytesIn: number; bytesOut: number; closed?: (end: ConnectionEnd) => void }>();
    const listeners: dgram.Socket[] = [];
    const endFlow = (key: string) => {
      const f = flows.get(key);
      if (!f) return;
      flows.delete(key);
      clearTimeout(f.timer);
      f.sock.close();
      f.closed?.({ bytesIn: f.bytesIn, bytesOut: f.bytesOut });
    };
    try {
      for (const address of this.addresses) {
        const listener = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
        listeners.push(listener);
        await new Promise<void>((resolve, reject) => {
          listener.once('error', reject);
          listener.bind(port, address, () => {
            listener.off('error', reject);
            resolve();
          });
        });
        listener.on('error', (err) => this.log.warn('ingress UDP socket error', { port, error: err.message }));
        listener.on('message', (msg, rinfo) => {
          const key = `${address}|${rinfo.address}|${rinfo.port}`;
          let f = flows.get(key);
          if (!f) {
            const up = this.pick(ex.target, 'UDP');
            if (!up || flows.size >= UDP_MAX_FLOWS) return;
            const sock = dgram.createSocket(net.isIPv6(up.host) ? 'udp6' : 'udp4');
            sock.on('message', (reply) => {
              const cur = flows.get(key);
              if (cur) {
                cur.timer.refresh();
                cur.bytesOut += reply.length;
              }
              listener.send(reply, rinfo.port, rinfo.address);
            });
            sock.on('error', () => endFlow(key));
            sock.connect(up.port, up.host);
            const t = ex.target;
            // A client flow counts as a connection: opened by its first datagram, closed when forgotten.
            const closed = this.onConnection?.({
              kind: 'udp',
              service: `${t.namespace}/${t.service}`,
              host: '',
              path: String(port),
              upstream: up.key,
            });
            f = { sock, timer: setTimeout(() => endFlow(key), UDP_IDLE_MS), bytesIn: msg.length, bytesOut: 0, closed };
            flows.set(key, f);
            const flow = f;
            sock.once('connect', () => flows.get(key) === flow && sock.send(msg));
            return;
          }
          f.timer.refresh();
          f.bytesIn += msg.length;
          try {
            f.sock.send(msg);
          } catch {
            // Not connected yet: the first datagram is still on its way; this one is dropped as UDP may.
          }
        });
      }
    } catch (err) {
      for (const l of listeners) l.close();
      throw err;
    }
    ex.close = async () => {
      for (const key of [...flows.keys()]) endFlow(key);
      await Promise.all(listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    };
    return ex;
  }
}

function pickUpstream(
  picker: EndpointPicker,
  target: ServiceBackend,
  protocol: 'TCP' | 'UDP',
  exclude?: ReadonlySet<string>,
  policy?: Policy,
): Upstream | undefined {
  const r = picker.resolve(target, protocol);
  if (!r.ok) return undefined;
  return picker.next(`${protocol}/${target.namespace}/${target.service}:${target.port}`, r.upstreams, exclude, policy);
}

export interface SpliceOptions {
  policy?: Policy;
  /** The connection reached `up`; the returned function is called once when it closes. */
  onOpen?(up: Upstream): ((end: ConnectionEnd) => void) | undefined;
}

/**
 * Connects a client socket to an endpoint of a Service (another one on a failed connect, up to
 * 3) and splices the bytes both ways; bytes the client already sent (paused or unshifted) go
 * first. The connection counts as in flight on its endpoint while it lasts (least-requests).
 */
export function spliceToService(
  picker: EndpointPicker,
  client: net.Socket,
  target: ServiceBackend,
  opts: SpliceOptions = {},
  tried: Set<string> = new Set(),
): void {
  if (client.destroyed) return;
  const up = tried.size < 3 ? pickUpstream(picker, target, 'TCP', tried, opts.policy) : undefined;
  if (!up) {
    client.destroy();
    return;
  }
  tried.add(up.key);
  const upstream = net.connect({ host: up.host, port: up.port });
  upstream.setNoDelay(true);
  const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
  let connected = false;
  upstream.once('connect', () => {
    clearTimeout(timer);
    connected = true;
    picker.connected(up.key);
    const release = picker.load.begin(up.key);
    // Bytes counted from here: what the client sent before (the peeked ClientHello) is in bytesRead too.
    const before = { in: client.bytesRead - client.readableLength, out: client.bytesWritten };
    const closed = opts.onOpen?.(up);
    upstream.once('close', () => {
      release();
      closed?.({ bytesIn: client.bytesRead - before.in, bytesOut: client.bytesWritten - before.out });
    });
    client.pipe(upstream).pipe(client);
    client.resume();
  });
  upstream.on('error', () => {
    clearTimeout(timer);
    if (connected) {
      client.destroy();
      return;
    }
    picker.connectFailed(up.key);
    spliceToService(picker, client, target, opts, tried);
  });
  upstream.on('close', () => connected && client.destroy());
  client.once('close', () => upstream.destroy());
}
