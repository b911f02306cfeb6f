// The nftables text generator: pure functions from service ports to `nft -f` lines, in the
// shape of kube-proxy's nftables mode. One table `ip skiff` holds fixed base chains hooked
// into nat/filter, verdict maps keyed by `ip . proto . port` (service-ips) and
// `proto . port` (service-nodeports), and per service port a few chains:
//   service-…  (Cluster policy) / local-… (Local policy): `numgen random mod N vmap {…}`
//   external-… entry for NodePort/externalIPs/LoadBalancer IPs (masquerade, Local short-cuts)
//   endpoint-… per backend: hairpin masquerade, affinity update, DNAT
// Services without usable endpoints get an element in no-endpoint-services/-nodeports
// (filter hooks) whose verdict is `goto reject-chain` (or `drop` when only the Local set is empty).
// Only IPv4 is programmed (the table is `ip`); IPv6 addresses are skipped. NodePorts answer on
// the node addresses in the nodeport-ips set, never on 127.0.0.1: like kube-proxy's nftables
// mode (which dropped localhost NodePorts), this mode does not set route_localnet.
import { isIPv4 } from 'node:net';
import { hasExternalAddresses, usableEndpoints } from '../endpoint-selection.js';
import type { EndpointInfo, ServicePortInfo } from '../types.js';
import { TABLE, affinitySetName, clusterChainName, endpointChainName, externalChainName, localChainName, protoName } from './names.js';

export interface NftOptions {
  /** Pod network: traffic from outside it to a cluster IP is masqueraded; pods short-circuit Local policies. */
  clusterCIDR?: string;
  /** Service network: packets to an unallocated cluster IP are dropped. */
  serviceCIDR?: string;
  /** Masquerade all traffic to cluster IPs (kube-proxy's --masquerade-all). */
  masqueradeAll?: boolean;
}

export interface MapElement {
  map: 'service-ips' | 'service-nodeports' | 'no-endpoint-services' | 'no-endpoint-nodeports';
  key: string;
  verdict: string;
  comment?: string;
}

export interface NftRule {
  chain: string;
  rule: string;
}

/** Everything one service port owns in the table, so a later sync can remove exactly that. */
export interface ServiceFragment {
  chains: string[];
  affinitySets: { name: string; timeoutSeconds: number }[];
  rules: NftRule[];
  elements: MapElement[];
  /** Its IPv4 cluster IP (members of the shared cluster-ips set), if any. */
  clusterIP?: string;
}

const EMPTY: ServiceFragment = { chains: [], affinitySets: [], rules: [], elements: [] };
const MASQ = 'jump mark-for-masquerade';

export const BASE_CHAINS: readonly string[] = [
  'nat-prerouting',
  'nat-output',
  'nat-postrouting',
  'filter-input',
  'filter-forward',
  'filter-output',
  'services',
  'masquerading',
  'mark-for-masquerade',
  'service-endpoints-check',
  'nodeport-endpoints-check',
  'cluster-ips-check',
  'reject-chain',
];
export const BASE_MAPS: readonly string[] = ['service-ips', 'service-nodeports', 'no-endpoint-services', 'no-endpoint-nodeports'];
export const BASE_SETS: readonly string[] = ['cluster-ips', 'nodeport-ips'];

const t = `ip ${TABLE}`;

/** The fixed objects and their rules (idempotent: chains are flushed before their rules are added). */
export function baseObjects(opts: NftOptions): string[] {
  const out = [
    `add table ${t} { comment "rules for skiff's service proxy" ; }`,
    `add set ${t} cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }`,
    `add set ${t} nodeport-ips { type ipv4_addr ; comment "IPs that accept NodePort traffic" ; }`,
    `add map ${t} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`,
    `add map ${t} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`,
    `add map ${t} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`,
    `add map ${t} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`,
    `add chain ${t} cluster-ips-check`,
    `add chain ${t} filter-forward { type filter hook forward priority 0 ; }`,
    `add chain ${t} filter-input { type filter hook input priority 0 ; }`,
    `add chain ${t} filter-output { type filter hook output priority 0 ; }`,
    `add chain ${t} mark-for-masquerade`,
    `add chain ${t} masquerading`,
    `add chain ${t} nat-output { type nat hook output priority -100 ; }`,
    `add chain ${t} nat-postrouting { type nat hook postrouting priority 100 ; }`,
    `add chain ${t} nat-prerouting { type nat hook prerouting priority -100 ; }`,
    `add chain ${t} nodeport-endpoints-check`,
    `add chain ${t} reject-chain { comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }`,
    `add chain ${t} services`,
    `add chain ${t} service-endpoints-check`,
  ];
  for (const c of BASE_CHAINS) out.push(`flush chain ${t} ${c}`);
  const rule = (chain: string, r: string) => out.push(`add rule ${t} ${chain} ${r}`);
  rule('cluster-ips-check', 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"');
  if (opts.serviceCIDR && isIPv4(opts.serviceCIDR.split('/')[0]!))
    rule('cluster-ips-check', `ip daddr { ${opts.serviceCIDR} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  rule('filter-forward', 'ct state new jump service-endpoints-check');
  rule('filter-forward', 'ct state new jump cluster-ips-check');
  rule('filter-input', 'ct state new jump nodeport-endpoints-check');
  rule('filter-input', 'ct state new jump service-endpoints-check');
  rule('filter-output', 'ct state new jump service-endpoints-check');
  rule('filter-output', 'ct state new jump cluster-ips-check');
  rule('mark-for-masquerade', 'mark set mark or 0x4000');
  rule('masquerading', 'mark and 0x4000 == 0 return');
  rule('masquerading', 'mark set mark xor 0x4000');
  rule('masquerading', 'masquerade fully-random');
  rule('nat-output', 'jump services');
  rule('nat-postrouting', 'jump masquerading');
  rule('nat-prerouting', 'jump services');
  rule('nodeport-endpoints-check', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports');
  rule('reject-chain', 'reject');
  rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services');
  rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips');
  rule('services', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
  return out;
}

const v4 = (ips: readonly string[]) => ips.filter((ip) => isIPv4(ip));

/** The chains, rules and map elements of one service port, as kube-proxy's syncProxyRules decides them. */
export function serviceFragment(svc: ServicePortInfo, endpoints: readonly EndpointInfo[], opts: NftOptions): ServiceFragment {
  const clusterIP = v4(svc.clusterIPs)[0];
  if (!clusterIP) return EMPTY; // headless (or IPv6-only): no rules, as kube-proxy
  const proto = protoName(svc);
  const port = svc.port;
  const comment = svc.key;
  const all = usableEndpoints(endpoints).filter((e) => isIPv4(e.ip));
  const local = all.filter((e) => e.isLocal);
  const externallyAccessible = hasExternalAddresses(svc);
  const intLocal = svc.internalTrafficPolicyLocal;
  const extLocal = svc.externalTrafficPolicyLocal && externallyAccessible;
  // Cluster endpoints are also needed under external Local, to short-circuit pod and host traffic.
  const usesClusterChain = all.length > 0 && (!intLocal || externallyAccessible);
  const usesLocalChain = local.length > 0 && (intLocal || extLocal);
  const clusterChain = clusterChainName(svc);
  const localChain = localChainName(svc);
  const externalChain = externalChainName(svc);
  const hasEndpoints = all.length > 0;
  const hasInternal = hasEndpoints && (!intLocal || local.length > 0);
  const hasExternal = hasEndpoints && (!extLocal || local.length > 0);
  const internalChain = intLocal ? localChain : clusterChain;
  const externalPolicyChain = extLocal ? localChain : clusterChain;
  const usesExternalChain = hasEndpoints && externallyAccessible;
  const intVerdict = hasEndpoints ? 'drop' : 'goto reject-chain';
  const extVerdict = hasEndpoints ? 'drop' : 'goto reject-chain';

  const f: ServiceFragment = { chains: [], affinitySets: [], rules: [], elements: [], clusterIP };
  const rule = (chain: string, r: string) => f.rules.push({ chain, rule: r });
  const reachable = new Map<string, EndpointInfo>();
  if (usesClusterChain) for (const e of all) reachable.set(`${e.ip}:${e.port}`, e);
  if (usesLocalChain) for (const e of local) reachable.set(`${e.ip}:${e.port}`, e);
  if (usesClusterChain) f.chains.push(clusterChain);
  if (usesLocalChain) f.chains.push(localChain);
  if (usesExternalChain) f.chains.push(externalChain);
  for (const e of reachable.values()) f.chains.push(endpointChainName(svc, e));

  const addrKey = (ip: string) => `${ip} . ${proto} . ${port}`;
  if (hasInternal) f.elements.push({ map: 'service-ips', key: addrKey(clusterIP), verdict: `goto ${internalChain}` });
  else f.elements.push({ map: 'no-endpoint-services', key: addrKey(clusterIP), verdict: intVerdict, comment });
  for (const ip of [...v4(svc.externalIPs), ...v4(svc.loadBalancerIPs)]) {
    if (hasEndpoints) f.elements.push({ map: 'service-ips', key: addrKey(ip), verdict: `goto ${externalChain}` });
    if (!hasExternal) f.elements.push({ map: 'no-endpoint-services', key: addrKey(ip), verdict: extVerdict, comment });
  }
  if (svc.nodePort !== undefined) {
    const key = `${proto} . ${svc.nodePort}`;
    if (hasEndpoints) f.elements.push({ map: 'service-nodeports', key, verdict: `goto ${externalChain}` });
    if (!hasExternal) f.elements.push({ map: 'no-endpoint-nodeports', key, verdict: extVerdict, comment });
  }

  if (hasInternal) {
    if (opts.masqueradeAll) rule(internalChain, `ip daddr ${clusterIP} ${MASQ}`);
    else if (opts.clusterCIDR) rule(internalChain, `ip daddr ${clusterIP} ip saddr != ${opts.clusterCIDR} ${MASQ}`);
  }
  if (usesExternalChain) {
    if (!extLocal) rule(externalChain, MASQ);
    else {
      if (opts.clusterCIDR) rule(externalChain, `ip saddr ${opts.clusterCIDR} goto ${clusterChain} comment "short-circuit pod traffic"`);
      rule(externalChain, `fib saddr type local ${MASQ} comment "masquerade local traffic"`);
      rule(externalChain, `fib saddr type local goto ${clusterChain} comment "short-circuit local traffic"`);
    }
    if (hasExternal) rule(externalChain, `goto ${externalPolicyChain}`);
  }

  const affinity = svc.affinityTimeoutSeconds;
  if (affinity !== undefined) for (const e of reachable.values()) f.affinitySets.push({ name: affinitySetName(svc, e), timeoutSeconds: affinity });
  const toEndpoints = (chain: string, eps: EndpointInfo[]) => {
    if (affinity !== undefined) for (const e of eps) rule(chain, `ip saddr @${affinitySetName(svc, e)} goto ${endpointChainName(svc, e)}`);
    const arms = eps.map((e, i) => `${i} : goto ${endpointChainName(svc, e)}`).join(' , ');
    rule(chain, `numgen random mod ${eps.length} vmap { ${arms} }`);
  };
  if (usesClusterChain) toEndpoints(clusterChain, all);
  if (usesLocalChain) toEndpoints(localChain, local);
  for (const e of reachable.values()) {
    const chain = endpointChainName(svc, e);
    rule(chain, `ip saddr ${e.ip} ${MASQ}`); // hairpin: a pod reaching itself through its Service
    if (affinity !== undefined) rule(chain, `update @${affinitySetName(svc, e)} { ip saddr }`);
    rule(chain, `meta l4proto ${proto} dnat to ${e.ip}:${e.port}`);
  }
  return f;
}

export function elementText(e: MapElement): string {
  return `{ ${e.key}${e.comment ? ` comment "${e.comment}"` : ''} : ${e.verdict} }`;
}

/** `add` lines creating a fragment (chains and sets are idempotent; rules assume flushed chains). */
export function addFragmentLines(f: ServiceFragment): string[] {
  const out: string[] = [];
  for (const s of f.affinitySets) out.push(`add set ${t} ${s.name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${s.timeoutSeconds}s ; }`);
  for (const c of f.chains) out.push(`add chain ${t} ${c}`);
  for (const r of f.rules) out.push(`add rule ${t} ${r.chain} ${r.rule}`);
  for (const e of f.elements) out.push(`add element ${t} ${e.map} ${elementText(e)}`);
  return out;
}

export function deleteElementLine(e: MapElement): string {
  return `delete element ${t} ${e.map} { ${e.key} }`;
}

export const setElementLine = (op: 'add' | 'delete', set: 'cluster-ips' | 'nodeport-ips', ip: string) => `${op} element ${t} ${set} { ${ip} }`;
export const flushChainLine = (chain: string) => `flush chain ${t} ${chain}`;
export const addChainLine = (chain: string) => `add chain ${t} ${chain}`;
export const deleteChainLine = (chain: string) => `delete chain ${t} ${chain}`;
export const flushSetLine = (set: string) => `flush ${BASE_MAPS.includes(set) ? 'map' : 'set'} ${t} ${set}`;
export const deleteSetLine = (set: string) => `delete set ${t} ${set}`;
export const deleteTableLines = () => [`add table ${t}`, `delete table ${t}`];
