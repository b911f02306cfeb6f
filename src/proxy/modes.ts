// Proxy modes by name (--proxy-mode). Each mode registers a factory here.
import type { Logger } from '../util/log.js';
import { IptablesMode } from './iptables/mode.js';
import { NftablesMode } from './nftables/nftables-mode.js';
import { NftRedirector } from './userspace/redirector.js';
import { UserspaceMode } from './userspace/userspace-mode.js';
import type { ProxyMode } from './types.js';

export type ProxyModeName = ProxyMode['name'];

export interface ModeOptions {
  log: Logger;
  nodeName: string;
  nodeIPs: string[];
  /** The pod network: traffic from outside it to a cluster IP is masqueraded. */
  clusterCIDR?: string;
  /** --iptables-backend: auto (default), legacy or nft. */
  iptablesBackend?: string;
}

export const PROXY_MODES: Partial<Record<ProxyModeName, (o: ModeOptions) => ProxyMode>> = {
  iptables: (o) => new IptablesMode({ log: o.log, clusterCIDR: o.clusterCIDR, backend: o.iptablesBackend }),
  nftables: (o) => new NftablesMode({ log: o.log, clusterCIDR: o.clusterCIDR }),
  // Rootless, services are reached on the loopback listeners only; as root, cluster IPs are
  // redirected to them too, so pods reach services the same way as in the other modes.
  userspace: (o) => new UserspaceMode({ log: o.log, redirector: process.getuid?.() === 0 ? new NftRedirector({ routeLocalnet: true }) : undefined }),
};

export function createProxyMode(name: string, o: ModeOptions): ProxyMode {
  const factory = PROXY_MODES[name as ProxyModeName];
  if (!factory) throw new Error(`unknown or unavailable --proxy-mode ${JSON.stringify(name)} (available: ${Object.keys(PROXY_MODES).join(', ')})`);
  return factory(o);
}

/** iptables as root (it needs CAP_NET_ADMIN), userspace otherwise, as issue 11 specifies. */
export function defaultProxyMode(): ProxyModeName {
  return process.getuid?.() === 0 ? 'iptables' : 'userspace';
}
