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

/** Runs `conntrack -D <filters>`; "nothing matched" is not an error. */
export type ConntrackDelete = (filter: string[]) => Promise<void>;

/**
 * Remembers each UDP port's programmed state and, after a sync, deletes the entries that went
 * stale. Both the iptables and the nftables mode use it; a failure is logged, never fatal.
 */
export class StaleUdpFlusher {
  private readonly state = new Map<string, UdpPortState>();

  constructor(
    private readonly del: ConntrackDelete,
    private readonly warn: (msg: string, f: Record<string, unknown>) => void,
  ) {}

  /** `programmed(key)` says whether the port's rules are in the kernel now. */
  async afterSync(
    snapshot: { services: ReadonlyMap<string, ServicePortInfo>; endpoints: ReadonlyMap<string, readonly EndpointInfo[]> },
    keys: Iterable<string>,
    programmed: (key: string) => boolean,
  ): Promise<void> {
    for (const k of keys) {
      const svc = snapshot.services.get(k);
      const after = svc && programmed(k) ? udpPortState(svc, snapshot.endpoints.get(k) ?? []) : undefined;
      const before = this.state.get(k);
      if (after) this.state.set(k, after);
      else this.state.delete(k);
      for (const filter of staleConntrackFilters(before, after))
        await this.del(filter).catch((err: Error) => this.warn('stale UDP conntrack entries not deleted', { service: k, error: err.message }));
    }
  }

  /** Keys the flusher holds state for (a full sync also visits ports that went away). */
  keys(): string[] {
    return [...this.state.keys()];
  }

  clear(): void {
    this.state.clear();
  }
}

/** The node's `conntrack` (inside `netns` when given, as tests and per-node namespaces need). */
export function conntrackDeleter(run: (cmd: string, args: string[]) => Promise<{ code: number; stderr: string }>, netns?: string): ConntrackDelete {
  return async (filter) => {
    const r = netns ? await run('ip', ['netns', 'exec', netns, 'conntrack', '-D', ...filter]) : await run('conntrack', ['-D', ...filter]);
    // conntrack exits 1 when no entry matched.
    if (r.code !== 0 && !/0 flow entries/.test(r.stderr)) throw new Error(`conntrack -D ${filter.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  };
}
