// Skiff's cluster DNS on one node: answers the cluster zone from informers of Services and
// EndpointSlices, forwards the rest to the node's resolv.conf servers (or the stub domains
// and upstreams of the kube-system/skiff-dns ConfigMap, applied as it changes), serves
// CoreDNS-named metrics, and publishes its listener in the kube-dns EndpointSlices.
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { ResponseCache } from './cache.js';
import { informerClusterView } from './cluster-view.js';
import { Forwarder } from './forwarder.js';
import { registerNodeEndpoint } from './kube-dns.js';
import { DnsMetrics, rcodeName, serveMetrics } from './metrics.js';
import { CidrSet } from './names.js';
import { ClusterZone, DEFAULT_TTL } from './records.js';
import { DnsServer } from './server.js';
import { CONFIGMAP_NAME, CONFIGMAP_NAMESPACE, parseConfigMapData, resolvConfServers, upstreamKey, type Upstream, type UpstreamConfig } from './upstreams.js';

export { keepKubeDnsService } from './kube-dns.js';

/** Port 53 needs root (CAP_NET_BIND_SERVICE); without it the DNS listens here instead. */
export const UNPRIVILEGED_DNS_PORT = 10053;
export const METRICS_PORT = 9153;

export function defaultDnsPort(): number {
  return process.getuid?.() === 0 ? 53 : UNPRIVILEGED_DNS_PORT;
}

export interface ClusterDnsOptions {
  client: Client;
  /** Publish this listener as the node's kube-dns endpoint (none when absent). */
  nodeName?: string;
  /** Addresses to listen on: the node's InternalIP, which its pods reach. */
  listen: string[];
  /** Default 53 as root, else 10053; when taken, a free port (the EndpointSlice says which). 0: a free port. */
  port?: number;
  metricsPort?: number;
  clusterDomain?: string;
  ttl?: number;
  /** Default /etc/resolv.conf. */
  resolvConf?: string;
  podRecords?: 'insecure' | 'verified' | 'disabled';
  forwardTimeoutMs?: number;
  /**
   * Clients (CIDRs, e.g. --cluster-cidr) whose other names are forwarded, besides loopback,
   * the listen addresses and the node's pod CIDRs; others get REFUSED for them. When none
   * is known, everyone's are.
   */
  recursionFrom?: string[];
  log: Logger;
}

export interface ClusterDns {
  port: number;
  metricsPort: number;
  server: DnsServer;
  metrics: DnsMetrics;
  upstreams(): UpstreamConfig;
  stop(): Promise<void>;
}

function readResolvConf(path: string, log: Logger): Upstream[] {
  try {
    return resolvConfServers(readFileSync(path, 'utf8'));
  } catch (err) {
    log.warn("cannot read the node's resolv.conf: names outside the cluster get SERVFAIL", { path, error: (err as Error).message });
    return [];
  }
}

async function listenWithFallback(server: DnsServer, hosts: string[], port: number, log: Logger): Promise<number> {
  try {
    return await server.listen(hosts, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (port === 0 || (code !== 'EADDRINUSE' && code !== 'EACCES'))
      throw new Error(`cluster DNS cannot listen on ${hosts.join(',')}:${port}: ${(err as Error).message}`);
    await server.close();
    const free = await server.listen(hosts, 0);
    log.warn('cluster DNS port is not available; listening on a free port (the kube-dns EndpointSlice points pods at it)', {
      wanted: port,
      port: free,
      error: (err as Error).message,
    });
    return free;
  }
}

export async function startClusterDns(o: ClusterDnsOptions): Promise<ClusterDns> {
  const log = o.log;
  const hosts = o.listen.length ? o.listen : ['127.0.0.1'];
  for (const h of hosts) if (!isIP(h)) throw new Error(`cluster DNS listen address is not an IP: ${h}`);
  const factory = new SharedInformerFactory(o.client, { onError: (err) => log.warn('cluster DNS watch failed; retrying', { error: (err as Error).message }) });
  const view = informerClusterView(factory, { pods: o.podRecords === 'verified' });
  const configMaps = factory.informerFor(resources.configMaps, { namespace: CONFIGMAP_NAMESPACE, fieldSelector: `metadata.name=${CONFIGMAP_NAME}` });

  const resolvPath = o.resolvConf ?? '/etc/resolv.conf';
  let hostServers = readResolvConf(resolvPath, log);
  let config: UpstreamConfig = { servers: hostServers, stubDomains: new Map() };
  const metrics = new DnsMetrics();
  const forwarder = new Forwarder({
    timeoutMs: o.forwardTimeoutMs,
    cache: new ResponseCache(),
    onExchange: (u, rcode, seconds) => {
      const to = upstreamKey(u);
      const r = typeof rcode === 'number' ? rcodeName(rcode) : rcode;
      metrics.forwardRequests.labels(to).inc();
      metrics.forwardResponses.labels(to, r).inc();
      metrics.forwardDuration.labels(to, r).observe(seconds);
    },
  });
  const zone = new ClusterZone(view, { domain: o.clusterDomain ?? 'cluster.local', ttl: o.ttl ?? DEFAULT_TTL, podRecords: o.podRecords });
  let podCidrs: string[] = [];
  const clientsFor = (): CidrSet | undefined => {
    const known = [...(o.recursionFrom ?? []), ...podCidrs];
    return known.length ? new CidrSet([...known, '127.0.0.0/8', '::1/128', ...hosts]) : undefined;
  };
  let clients = clientsFor();
  const recursionClients = () => clients;
  const server = new DnsServer({ zone, forwarder, upstreams: () => config, metrics, log, recursionClients });
  view.onChange(() => server.invalidate());

  let port = 0;
  const checkLoops = () => {
    const all = [...config.servers, ...[...config.stubDomains.values()].flat()];
    // Our own listener named as an upstream is a loop before any packet is sent.
    for (const u of all) {
      const ours = u.port === port && (hosts.includes(u.host) || (hosts.some((h) => h === '0.0.0.0' || h === '::') && /^(127\.|::1$)/.test(u.host)));
      if (ours) server.excludeUpstream(u, "it is this DNS server's own listener");
    }
    server.probeLoops(all.filter((u) => !server.loopingUpstreams().includes(upstreamKey(u))));
  };
  const applyConfig = () => {
    const cm = configMaps.get(CONFIGMAP_NAME, CONFIGMAP_NAMESPACE);
    const settings = parseConfigMapData(cm?.data);
    for (const e of settings.errors) log.warn(`ConfigMap ${CONFIGMAP_NAMESPACE}/${CONFIGMAP_NAME}: ${e}`);
    config = { servers: settings.upstreamNameservers ?? hostServers, stubDomains: settings.stubDomains };
    // Answers from the old servers may differ from what the new ones say.
    forwarder.cache.clear();
    server.forgetLoops();
    if (port) checkLoops();
  };
  configMaps.addEventHandler({
    onAdd: applyConfig,
    onUpdate: (a, b) => {
      if (a !== b) applyConfig();
    },
    onDelete: applyConfig,
  });

  factory.start();
  await factory.waitForSync();
  try {
    port = await listenWithFallback(server, hosts, o.port ?? defaultDnsPort(), log);
  } catch (err) {
    factory.stop();
    forwarder.close();
    throw err;
  }
  let metricsServer: { port: number; close(): Promise<void> } | undefined;
  try {
    metricsServer = await serveMetrics(metrics, hosts[0]!, o.metricsPort ?? METRICS_PORT, log);
  } catch (err) {
    metricsServer = await serveMetrics(metrics, hosts[0]!, 0, log);
    log.warn('DNS metrics port is not available; serving metrics on a free port', {
      wanted: o.metricsPort ?? METRICS_PORT,
      port: metricsServer.port,
      error: (err as Error).message,
    });
  }
  metrics.onScrape = () => {
    const size = forwarder.cache.size;
    metrics.cacheEntries.labels('dns://:' + port, 'success', '.').set(size.positive);
    metrics.cacheEntries.labels('dns://:' + port, 'denial', '.').set(size.negative);
  };
  checkLoops();
  if (!config.servers.length) log.warn('no upstream nameservers: names outside the cluster get SERVFAIL', { resolvConf: resolvPath });

  // The node's resolv.conf may be rewritten (DHCP, systemd-resolved): read it again when it changes.
  let mtime = 0;
  try {
    mtime = statSync(resolvPath).mtimeMs;
  } catch {
    /* absent: stays empty */
  }
  const resolvTimer = setInterval(() => {
    let m = 0;
    try {
      m = statSync(resolvPath).mtimeMs;
    } catch {
      /* gone */
    }
    if (m === mtime) return;
    mtime = m;
    hostServers = readResolvConf(resolvPath, log);
    applyConfig();
  }, 10_000);
  resolvTimer.unref();

  // The node's pod CIDRs (assigned by the node IPAM controller after registration) say which
  // clients are this node's pods.
  let cidrTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const readPodCidrs = async () => {
    try {
      const spec = (await o.client.nodes.get(o.nodeName!)).spec;
      podCidrs = spec?.podCIDRs ?? (spec?.podCIDR ? [spec.podCIDR] : []);
      clients = clientsFor();
    } catch {
      /* not registered yet */
    }
    if (stopped) return;
    cidrTimer = setTimeout(() => void readPodCidrs(), podCidrs.length ? 300_000 : 5_000);
    cidrTimer.unref();
  };
  if (o.nodeName) await readPodCidrs();

  const endpoint = o.nodeName
    ? registerNodeEndpoint({ client: o.client, nodeName: o.nodeName, addresses: hosts, port, metricsPort: metricsServer.port, log })
    : undefined;
  log.info('cluster DNS listening', {
    addresses: hosts,
    port,
    metricsPort: metricsServer.port,
    domain: zone.domain,
    upstreams: config.servers.map(upstreamKey),
  });

  return {
    port,
    metricsPort: metricsServer.port,
    server,
    metrics,
    upstreams: () => config,
    stop: async () => {
      stopped = true;
      clearInterval(resolvTimer);
      clearTimeout(cidrTimer);
      await endpoint?.stop();
      factory.stop();
      forwarder.close();
      await server.close();
      await metricsServer?.close();
    },
  };
}
