// The service proxy of one node: a snapshot kept from shared informers, a mode that programs
// it, and the runner that syncs them (src/proxy/proxier.ts).
import type { Client } from '../client/client.js';
import { ClientEventRecorder, type EventRecorder } from '../client/event-recorder.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../util/log.js';
import { HealthCheckServers } from './healthcheck.js';
import { createProxyMode, type ModeOptions } from './modes.js';
import { Proxier, type ProxierOptions } from './proxier.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import type { ProxyMode, ProxySnapshot, ServicePortKey } from './types.js';

export { defaultProxyMode, PROXY_MODES, type ProxyModeName } from './modes.js';
export type { ProxyMode } from './types.js';

export interface ServiceProxyOptions {
  client: Client;
  nodeName: string;
  /** The node's addresses; default: those of its Node object. */
  nodeIPs?: string[];
  /** iptables | nftables | userspace (those registered in modes.ts). */
  mode: string;
  clusterCIDR?: string;
  /** --iptables-backend for the iptables mode: auto (default), legacy or nft. */
  iptablesBackend?: string;
  log: Logger;
  /** Share informers with the rest of the process; default: the proxy starts its own. */
  informers?: SharedInformerFactory;
  /** A mode built by the caller (tests), instead of `mode` by name. */
  modeImpl?: ProxyMode;
  /** Runner tuning (sync intervals, back-off) and the onSynced hook. */
  runner?: Pick<ProxierOptions, 'minSyncIntervalMs' | 'fullSyncIntervalMs' | 'retryInitialMs' | 'retryMaxMs' | 'onSynced'>;
  /** Where Warning Events about skipped Services go; default: Events written through `client`. */
  recorder?: EventRecorder;
}

export interface ServiceProxy {
  readonly mode: ProxyMode;
  /** Resolves once no sync is running or scheduled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServiceProxy(o: ServiceProxyOptions): Promise<ServiceProxy> {
  const log = o.log;
  // Without the cluster's pod network, this node's own pod CIDR tells pod traffic from the rest
  // (kube-proxy's --detect-local-mode NodeCIDR): cross-node pod traffic is DNATed on its own node.
  const clusterCIDR = o.clusterCIDR ?? (await nodePodCIDR(o.client, o.nodeName, log));
  const modeOpts: ModeOptions = { log, nodeName: o.nodeName, nodeIPs: o.nodeIPs ?? [], clusterCIDR, iptablesBackend: o.iptablesBackend };
  const mode = o.modeImpl ?? createProxyMode(o.mode, modeOpts);
  const ownInformers = !o.informers;
  const informers = o.informers ?? new SharedInformerFactory(o.client);
  let proxier: Proxier | undefined;
  const builder = new SnapshotBuilder({ informers, nodeName: o.nodeName, nodeIPs: o.nodeIPs, onChange: () => proxier?.requestSync() });
  const healthChecks = new HealthCheckServers(log.child('healthcheck'));
  const warnSkipped = skippedServiceWarnings(mode, o.recorder ?? new ClientEventRecorder(o.client, 'kube-proxy', log, o.nodeName));
  const onSynced = o.runner?.onSynced;
  proxier = new Proxier({
    source: builder,
    mode,
    log,
    healthChecks,
    ...o.runner,
    onSynced: (info) => {
      warnSkipped(info.snapshot);
      onSynced?.(info);
    },
  });
  informers.start();
  await informers.waitForSync();
  proxier.start();
  log.info('service proxy started', { mode: mode.name, node: o.nodeName, localCIDR: clusterCIDR });
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

/**
 * After each sync: a Warning Event on every Service the mode newly left out (once per reason,
 * so a periodic resync does not repeat it); the other Services were programmed regardless.
 */
function skippedServiceWarnings(mode: ProxyMode, recorder: EventRecorder): (snapshot: ProxySnapshot) => void {
  const told = new Map<ServicePortKey, string>();
  return (snapshot) => {
    const now = mode.skipped?.() ?? new Map<ServicePortKey, string>();
    for (const k of [...told.keys()]) if (!now.has(k)) told.delete(k);
    for (const [k, why] of now) {
      if (told.get(k) === why) continue;
      told.set(k, why);
      const svc = snapshot.services.get(k);
      if (!svc) continue;
      recorder.event(
        { apiVersion: 'v1', kind: 'Service', metadata: { namespace: svc.namespace, name: svc.name, uid: svc.uid } },
        'Warning',
        'FailedToProgramService',
        `${mode.name} proxy on node ${snapshot.nodeName} skipped port ${JSON.stringify(svc.portName || String(svc.port))}: ${why}`.slice(0, 1024),
      );
    }
  };
}

/** The node's spec.podCIDR, waited for up to 10 s (node IPAM assigns it just after registration). */
async function nodePodCIDR(client: Client, nodeName: string, log: Logger): Promise<string | undefined> {
  const until = Date.now() + 10_000;
  for (;;) {
    const cidr = await client.nodes.get(nodeName).then(
      (n) => n.spec?.podCIDR,
      () => undefined,
    );
    if (cidr) return cidr;
    if (Date.now() > until) {
      log.warn('the node has no pod CIDR: cluster-IP traffic from outside the pod network is not masqueraded', { node: nodeName });
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
