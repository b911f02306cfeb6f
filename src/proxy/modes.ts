// Proxy modes by name (--proxy-mode). Each mode registers a factory here.
import type { Logger } from '../util/log.js';
import { IptablesMode } from './iptables/mode.js';
import type { ProxyMode } from './types.js';

export type ProxyModeName = ProxyMode['name'];

export interface ModeOptions {
  log: Logger;
  nodeName: string;
  nodeIPs: string[];
  /** The pod network: traffic from outside it to a cluster IP is masqueraded. */
  clusterCIDR?: string;
}

export const PROXY_MODES: Partial<Record<ProxyModeName, (o: ModeOptions) => ProxyMode>> = {
  iptables: (o) => new IptablesMode({ log: o.log, clusterCIDR: o.clusterCIDR }),
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
