// The service proxy of a node agent (`skiff server` and `skiff agent`): on unless
// --disable-proxy; it runs where the node runs real containers (a simulated node has no data
// path), or wherever --proxy-mode asks for it explicitly.
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import type { ProxyModeName, ServiceProxy } from '../proxy/index.js';
import type { Logger } from '../util/log.js';

export interface NodeProxyFlags {
  proxyMode?: string;
  iptablesBackend?: string;
  disableProxy?: boolean;
}

export async function startNodeProxy(
  flags: NodeProxyFlags,
  o: {
    /** Or how to get one (a joined agent asks for the proxy's own certificate only when it runs a proxy). */
    client: Client | (() => Promise<Client>);
    nodeName: string;
    nodeIP: string;
    runsProcesses: boolean;
    clusterCIDR?: string;
    log: Logger;
    informers?: SharedInformerFactory;
  },
): Promise<ServiceProxy | undefined> {
  if (flags.disableProxy) return undefined;
  if (!o.runsProcesses && !flags.proxyMode) {
    o.log.info('no service proxy: this node runs pods in simulated mode (give --proxy-mode to run one anyway)');
    return undefined;
  }
  // Loaded only for a node that runs one: a node agent started without it carries none of it.
  const { defaultProxyMode, PROXY_MODES, startServiceProxy } = await import('../proxy/index.js');
  const mode = flags.proxyMode ?? defaultProxyMode();
  // An explicit --proxy-mode that is not available fails below, loudly; a default one only warns.
  if (!flags.proxyMode && !PROXY_MODES[mode as ProxyModeName]) {
    o.log.warn('no service proxy: its default mode is not available here', { mode, available: Object.keys(PROXY_MODES) });
    return undefined;
  }
  return startServiceProxy({
    client: typeof o.client === 'function' ? await o.client() : o.client,
    nodeName: o.nodeName,
    nodeIPs: [o.nodeIP],
    mode,
    clusterCIDR: o.clusterCIDR,
    iptablesBackend: flags.iptablesBackend,
    log: o.log.child('proxy'),
    informers: o.informers,
  });
}
