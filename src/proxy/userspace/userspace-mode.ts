// The userspace proxy mode, the seed's round-robin kube-proxy: per service port a listener
// on 127.0.0.1 (at a port chosen once and kept while the service port exists) forwarding TCP
// and UDP to the endpoints in turn, plus listeners at the NodePort on the node's addresses
// (and 127.0.0.1) and on externalIPs / LoadBalancer IPs this host owns, which use the
// external endpoint set (externalTrafficPolicy Local narrows it to this node's endpoints).
// It needs no root; an optional ServiceRedirector adds DNAT from cluster IPs to the loopback
// listeners where root is available. Level-triggered: each sync opens and closes listeners
// until they match the snapshot. SCTP is not proxied (Node has no SCTP sockets).
import { isIPv4 } from 'node:net';
import type { Logger } from '../../util/log.js';
import { selectEndpoints } from '../endpoint-selection.js';
import type { EndpointInfo, ProxyMode, ProxySnapshot, ServicePortInfo, ServicePortKey } from '../types.js';
import type { Redirect, ServiceRedirector } from './redirector.js';
import { RoundRobin, type Backend } from './round-robin.js';
import { CONNECT_TIMEOUTS_MS, TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

export interface UserspaceModeOptions {
  log?: Logger;
  /** DNAT from cluster IPs to the loopback listeners (root only); absent when rootless. */
  redirector?: ServiceRedirector;
  /** Where the per-service listeners are; default 127.0.0.1. */
  loopbackHost?: string;
  /** A UDP session without traffic for this long is closed; default 10 s. */
  udpIdleTimeoutMs?: number;
  /** Connect timeouts of the successive attempts of one TCP connection. */
  connectTimeoutsMs?: number[];
}

type Listener = TcpListener | UdpListener;

interface PortProxy {
  svc: ServicePortInfo;
  cluster: RoundRobin;
  external: RoundRobin;
  /** Open listeners by `role|protocol|host|port`. */
  listeners: Map<string, Listener>;
  /** The loopback listener's port, kept for the life of the service port. */
  loopbackPort?: number;
  /** Listeners that could not open, warned about once (each sync tries them again). */
  warned: Set<string>;
}

const silent: Logger = { info() {}, warn() {}, error() {}, child: () => silent };
const backends = (eps: EndpointInfo[]): Backend[] => eps.filter((e) => isIPv4(e.ip)).map((e) => ({ ip: e.ip, port: e.port }));

export class UserspaceMode implements ProxyMode {
  readonly name = 'userspace' as const;
  private readonly log: Logger;
  private readonly proxies = new Map<ServicePortKey, PortProxy>();
  private nodeIPs = '';
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: UserspaceModeOptions = {}) {
    this.log = opts.log ?? silent;
  }

  /** Where the host reaches a service port without any rules: 127.0.0.1 and its listener's port. */
  addressOf(key: ServicePortKey): { host: string; port: number } | undefined {
    const port = this.proxies.get(key)?.loopbackPort;
    return port === undefined ? undefined : { host: this.loopbackHost, port };
  }

  private get loopbackHost(): string {
    return this.opts.loopbackHost ?? '127.0.0.1';
  }

  sync(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void> {
    const run = this.queue.then(() => this.syncNow(snapshot, changed));
    this.queue = run.catch(() => {});
    return run;
  }

  private async syncNow(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void> {
    const nodeIPs = JSON.stringify(snapshot.nodeIPs);
    const all = changed === 'all' || nodeIPs !== this.nodeIPs;
    this.nodeIPs = nodeIPs;
    const keys = all ? new Set([...snapshot.services.keys(), ...this.proxies.keys()]) : changed;
    for (const key of keys) await this.syncPort(key, snapshot);
    if (this.opts.redirector) await this.opts.redirector.sync(this.redirects());
  }

  private async syncPort(key: ServicePortKey, snapshot: ProxySnapshot): Promise<void> {
    const svc = snapshot.services.get(key);
    let proxy = this.proxies.get(key);
    if (!svc || svc.clusterIPs.length === 0 || svc.protocol === 'SCTP') {
      if (svc?.protocol === 'SCTP' && !proxy) this.log.warn('userspace proxy does not carry SCTP', { service: key });
      if (proxy) await this.closeAll(proxy);
      this.proxies.delete(key);
      return;
    }
    if (proxy && proxy.svc.protocol !== svc.protocol) {
      await this.closeAll(proxy);
      proxy.loopbackPort = undefined;
    }
    const affinityMs = svc.affinityTimeoutSeconds === undefined ? undefined : svc.affinityTimeoutSeconds * 1000;
    if (!proxy) {
      proxy = { svc, cluster: new RoundRobin(affinityMs), external: new RoundRobin(affinityMs), listeners: new Map(), warned: new Set() };
      this.proxies.set(key, proxy);
    }
    proxy.svc = svc;
    const sel = selectEndpoints(svc, snapshot.endpoints.get(key) ?? []);
    proxy.cluster.update(backends(sel.cluster), affinityMs);
    proxy.external.update(backends(sel.external), affinityMs);

    const proto = svc.protocol;
    const wanted = new Map<string, { role: 'cluster' | 'external'; host: string; port: number }>();
    wanted.set(`cluster|${proto}|${this.loopbackHost}|loopback`, { role: 'cluster', host: this.loopbackHost, port: proxy.loopbackPort ?? 0 });
    const externalHosts = (hosts: string[], port: number) => {
      for (const host of new Set(hosts.filter((h) => isIPv4(h)))) wanted.set(`external|${proto}|${host}|${port}`, { role: 'external', host, port });
    };
    if (svc.nodePort !== undefined) externalHosts([...snapshot.nodeIPs, '127.0.0.1'], svc.nodePort);
    externalHosts([...svc.externalIPs, ...svc.loadBalancerIPs], svc.port);

    for (const [id, listener] of proxy.listeners) {
      if (wanted.has(id)) continue;
      proxy.listeners.delete(id);
      await listener.close();
    }
    for (const [id, want] of wanted) {
      if (proxy.listeners.has(id)) continue;
      const balancer = want.role === 'cluster' ? () => proxy!.cluster : () => proxy!.external;
      const listener =
        proto === 'UDP'
          ? new UdpListener(balancer, this.log, this.opts.udpIdleTimeoutMs ?? 10_000)
          : new TcpListener(balancer, this.log, this.opts.connectTimeoutsMs ?? CONNECT_TIMEOUTS_MS);
      try {
        const port = await listener.listen(want.host, want.port);
        proxy.listeners.set(id, listener);
        proxy.warned.delete(id);
        if (want.role === 'cluster') {
          proxy.loopbackPort = port;
          this.log.info('service reachable on loopback', { service: key, protocol: proto, address: `${want.host}:${port}` });
        }
      } catch (err) {
        // An address this host does not own, or a port something else holds: skip this one
        // listener, keep the service's others and every other service.
        await listener.close().catch(() => {});
        if (proxy.warned.has(id)) continue;
        proxy.warned.add(id);
        this.log.warn('cannot listen for service', { service: key, protocol: proto, address: `${want.host}:${want.port}`, error: (err as Error).message });
      }
    }
    for (const l of proxy.listeners.values()) if (l instanceof UdpListener) l.pruneSessions();
  }

  private redirects(): Redirect[] {
    const out: Redirect[] = [];
    for (const p of this.proxies.values()) {
      if (p.loopbackPort === undefined) continue;
      for (const ip of p.svc.clusterIPs) if (isIPv4(ip)) out.push({ protocol: p.svc.protocol, ip, port: p.svc.port, toPort: p.loopbackPort });
    }
    return out;
  }

  private async closeAll(proxy: PortProxy): Promise<void> {
    const listeners = [...proxy.listeners.values()];
    proxy.listeners.clear();
    await Promise.all(listeners.map((l) => l.close()));
  }

  async stop(): Promise<void> {
    await this.queue;
    for (const p of this.proxies.values()) await this.closeAll(p);
    this.proxies.clear();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    await this.opts.redirector?.cleanup();
  }
}
