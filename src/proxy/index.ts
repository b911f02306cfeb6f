// The service proxy of one node: a snapshot kept from shared informers, a mode that programs
// it, and the runner that syncs them (src/proxy/proxier.ts).
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../util/log.js';
import { HealthCheckServers } from './healthcheck.js';
import { createProxyMode, type ModeOptions } from './modes.js';
import { Proxier, type ProxierOptions } from './proxier.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import type { ProxyMode } from './types.js';

export { createProxyMode, defaultProxyMode, PROXY_MODES, type ProxyModeName } from './modes.js';
export { proxyRegistry } from './metrics.js';
export type { ProxyMode, ProxySnapshot } from './types.js';

export interface ServiceProxyOptions {
  client: Client;
  nodeName: string;
  /** The node's addresses; default: those of its Node object. */
  nodeIPs?: string[];
  /** iptables | nftables | userspace (those registered in modes.ts). */
  mode: string;
  clusterCIDR?: string;
  log: Logger;
  /** Share informers with the rest of the process; default: the proxy starts its own. */
  informers?: SharedInformerFactory;
  /** A mode built by the caller (tests), instead of `mode` by name. */
  modeImpl?: ProxyMode;
  /** Runner tuning (sync intervals, back-off) and the onSynced hook. */
  runner?: Pick<ProxierOptions, 'minSyncIntervalMs' | 'fullSyncIntervalMs' | 'retryInitialMs' | 'retryMaxMs' | 'onSynced'>;
}

export interface ServiceProxy {
  readonly mode: ProxyMode;
  /** Resolves once no sync is running or scheduled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServiceProxy(o: ServiceProxyOptions): Promise<ServiceProxy> {
  const log = o.log;
  const modeOpts: ModeOptions = { log, nodeName: o.nodeName, nodeIPs: o.nodeIPs ?? [], clusterCIDR: o.clusterCIDR };
  const mode = o.modeImpl ?? createProxyMode(o.mode, modeOpts);
  const ownInformers = !o.informers;
  const informers = o.informers ?? new SharedInformerFactory(o.client);
  let proxier: Proxier | undefined;
  const builder = new SnapshotBuilder({ informers, nodeName: o.nodeName, nodeIPs: o.nodeIPs, onChange: () => proxier?.requestSync() });
  const healthChecks = new HealthCheckServers(log.child('healthcheck'));
  proxier = new Proxier({ source: builder, mode, log, healthChecks, ...o.runner });
  informers.start();
  await informers.waitForSync();
  proxier.start();
  log.info('service proxy started', { mode: mode.name, node: o.nodeName });
  return {
    mode,
    idle: () => proxier!.idle(),
    async stop() {
      proxier!.stop();
      healthChecks.close();
      if (ownInformers) informers.stop();
      await mode.stop();
    },
  };
}
