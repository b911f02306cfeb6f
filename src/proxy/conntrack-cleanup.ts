// Which UDP conntrack entries go stale after a change, as kube-proxy decides: UDP has no
// connection to close, so an entry keeps sending a client's datagrams to a dead endpoint (or
// to the REJECT that answered while there was none) until it is deleted. Pure: it returns the
// `conntrack -D` filters; the mode runs them.
import { categorizeEndpoints } from './endpoint-selection.js';
import type { EndpointInfo, ServicePortInfo } from './types.js';

export interface UdpPortState {
  svc: ServicePortInfo;
  /** IPs of the endpoints rules may send to. */
  endpointIPs: Set<string>;
  hasEndpoints: boolean;
}

export function udpPortState(svc: ServicePortInfo, endpoints: readonly EndpointInfo[]): UdpPortState | undefined {
  if (svc.protocol !== 'UDP') return undefined;
  const c = categorizeEndpoints(svc, endpoints);
  return { svc, endpointIPs: new Set(c.reachable.map((e) => e.ip)), hasEndpoints: c.hasAny };
}

function serviceAddresses(svc: ServicePortInfo): string[] {
  return [...svc.clusterIPs, ...svc.externalIPs, ...svc.loadBalancerIPs];
}

/** conntrack -D filters for one port's change (before → after; either may be absent). */
export function staleConntrackFilters(before: UdpPortState | undefined, after: UdpPortState | undefined): string[][] {
  const out: string[][] = [];
  if (before) {
    for (const ip of before.endpointIPs) {
      if (after?.endpointIPs.has(ip)) continue;
      for (const addr of serviceAddresses(before.svc)) out.push(['-p', 'udp', '--orig-dst', addr, '--dst-nat', ip]);
      if (before.svc.nodePort) out.push(['-p', 'udp', '--dport', String(before.svc.nodePort), '--dst-nat', ip]);
    }
  }
  // Endpoints appeared: entries made while the port rejected would keep rejecting.
  if (after?.hasEndpoints && !before?.hasEndpoints) {
    for (const addr of serviceAddresses(after.svc)) out.push(['-p', 'udp', '--orig-dst', addr]);
    if (after.svc.nodePort) out.push(['-p', 'udp', '--dport', String(after.svc.nodePort)]);
  }
  return out;
}
