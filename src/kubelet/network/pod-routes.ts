// How this node reaches the pod CIDRs of the others, as flannel's host-gw and vxlan
// backends do it: host-gw routes each peer's pod CIDR via the peer's InternalIP (the nodes
// must share a link); vxlan routes it via the peer's VTEP address over a kernel VXLAN
// device, with a forwarding (FDB) entry telling the device which node holds that VTEP MAC
// and a permanent neighbour entry so no ARP crosses the tunnel. The entries follow the
// Node objects: a peer that goes takes its route, FDB and neighbour entries with it.
//
// Routes Skiff makes carry their own protocol number (ROUTE_PROTO), so that they are told
// apart from everyone else's by the kernel itself: `ip route show proto 83`.
import type { Node } from 'kubernetes-types/core/v1.js';
import { mustRun, runJson, type CommandRunner } from './commands.js';
import { numberToIpv4, parseIpv4Net } from './ipv4.js';

export type PodNetworkMode = 'host-gw' | 'vxlan' | 'none';

export function parsePodNetworkMode(v: string): PodNetworkMode {
  if (v === 'host-gw' || v === 'vxlan' || v === 'none') return v;
  throw new Error(`--pod-network must be host-gw, vxlan or none, not ${JSON.stringify(v)}`);
}

/** The rtnetlink protocol number on every route Skiff adds (83 = 'S'; unused by iproute2's rt_protos). */
export const ROUTE_PROTO = '83';
/** The VTEP MAC of a node's VXLAN device, published for the other nodes (flannel keeps it in backend-data). */
export const VXLAN_MAC_ANNOTATION = 'skiff.io/vxlan-mac';
/** Which backend a node runs: nodes of one cluster should agree. */
export const POD_NETWORK_ANNOTATION = 'skiff.io/pod-network';
export const VXLAN_VNI = 1;
/** The Linux kernel's VXLAN port as flannel uses it (IANA's 4789 is often taken by other overlays). */
export const VXLAN_PORT = 8472;

export interface PeerNode {
  name: string;
  podCidr: string;
  /** InternalIP: the next hop for host-gw, the underlay address for vxlan. */
  ip: string;
  vtepMac?: string;
}

/** The other nodes that have a pod CIDR and an InternalIP. */
export function peersOf(nodes: readonly Node[], self: string): PeerNode[] {
  const peers: PeerNode[] = [];
  for (const n of nodes) {
    const name = n.metadata?.name;
    const podCidr = n.spec?.podCIDR;
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (!name || name === self || !podCidr || !ip || !parseIpv4Net(podCidr) || !parseIpv4Net(ip)) continue;
    if (n.metadata?.deletionTimestamp) continue;
    const mac = n.metadata?.annotations?.[VXLAN_MAC_ANNOTATION];
    peers.push({ name, podCidr: normalCidr(podCidr), ip, ...(mac && validMac(mac) ? { vtepMac: mac.toLowerCase() } : {}) });
  }
  return peers.sort((a, b) => a.name.localeCompare(b.name));
}

export function validMac(mac: string): boolean {
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac);
}

function normalCidr(cidr: string): string {
  const n = parseIpv4Net(cidr)!;
  return `${numberToIpv4(n.base)}/${n.prefix}`;
}

/** A node's VTEP address: the network address of its pod CIDR, as a /32 on the VXLAN device (flannel's choice). */
export function vtepIp(podCidr: string): string {
  return numberToIpv4(parseIpv4Net(podCidr)!.base);
}

export interface RouteEntry {
  dst: string;
  via: string;
  /** Set for vxlan: the route goes over the device, with `onlink` (the VTEP /32 has no subnet). */
  dev?: string;
}

export interface ForwardingEntry {
  mac: string;
  /** The remote node's underlay address. */
  dst: string;
  /** The remote VTEP address, for the neighbour entry. */
  vtep: string;
}

export interface DesiredNetwork {
  routes: RouteEntry[];
  fdb: ForwardingEntry[];
  /** Peers that cannot be reached yet (vxlan: no VTEP MAC published). */
  waiting: string[];
}

export function desiredNetwork(mode: PodNetworkMode, peers: readonly PeerNode[], vxlanDevice: string): DesiredNetwork {
  const out: DesiredNetwork = { routes: [], fdb: [], waiting: [] };
  if (mode === 'none') return out;
  for (const p of peers) {
    if (mode === 'host-gw') {
      out.routes.push({ dst: p.podCidr, via: p.ip });
      continue;
    }
    if (!p.vtepMac) {
      out.waiting.push(p.name);
      continue;
    }
    const vtep = vtepIp(p.podCidr);
    out.routes.push({ dst: p.podCidr, via: vtep, dev: vxlanDevice });
    out.fdb.push({ mac: p.vtepMac, dst: p.ip, vtep });
  }
  return out;
}

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
}
interface FdbRow {
  mac: string;
  dst?: string;
}
interface NeighRow {
  dst: string;
  lladdr?: string;
  state?: string[];
}

export interface ApplyResult {
  /** Entries the kernel refused, with why; the rest was applied. */
  failures: string[];
  changed: boolean;
}

/**
 * Makes the kernel hold exactly the desired routes (among those with ROUTE_PROTO) and, for
 * vxlan, exactly the desired FDB and neighbour entries on the device. One entry failing
 * (e.g. a host-gw next hop that is not on a shared link) does not stop the others.
 */
export async function applyNetwork(run: CommandRunner, want: DesiredNetwork, vxlanDevice: string | undefined): Promise<ApplyResult> {
  const res: ApplyResult = { failures: [], changed: false };
  const attempt = async (what: string, cmd: string, args: string[]) => {
    try {
      await mustRun(run, cmd, args);
      res.changed = true;
    } catch (err) {
      res.failures.push(`${what}: ${(err as Error).message}`);
    }
  };
  if (vxlanDevice) {
    const fdb = (await runJson<FdbRow>(run, 'bridge', ['-j', 'fdb', 'show', 'dev', vxlanDevice])).filter((r) => r.dst);
    const neigh = await runJson<NeighRow>(run, 'ip', ['-j', '-4', 'neigh', 'show', 'dev', vxlanDevice]);
    for (const r of fdb)
      if (!want.fdb.some((f) => f.mac === r.mac.toLowerCase() && f.dst === r.dst))
        await attempt(`stale FDB entry ${r.mac}`, 'bridge', ['fdb', 'del', r.mac, 'dev', vxlanDevice, 'dst', r.dst!]);
    for (const n of neigh)
      if (!want.fdb.some((f) => f.vtep === n.dst && f.mac === n.lladdr?.toLowerCase()))
        await attempt(`stale neighbour ${n.dst}`, 'ip', ['neigh', 'del', n.dst, 'dev', vxlanDevice]);
    for (const f of want.fdb) {
      if (!fdb.some((r) => r.mac.toLowerCase() === f.mac && r.dst === f.dst))
        await attempt(`FDB entry ${f.mac} → ${f.dst}`, 'bridge', ['fdb', 'replace', f.mac, 'dev', vxlanDevice, 'dst', f.dst, 'self', 'permanent']);
      if (!neigh.some((n) => n.dst === f.vtep && n.lladdr?.toLowerCase() === f.mac && n.state?.includes('PERMANENT')))
        await attempt(`neighbour ${f.vtep}`, 'ip', ['neigh', 'replace', f.vtep, 'lladdr', f.mac, 'dev', vxlanDevice, 'nud', 'permanent']);
    }
  }
  const have = await runJson<IpRoute>(run, 'ip', ['-j', '-4', 'route', 'show', 'proto', ROUTE_PROTO]);
  for (const r of have)
    if (!want.routes.some((w) => w.dst === r.dst)) await attempt(`stale route ${r.dst}`, 'ip', ['route', 'del', r.dst, 'proto', ROUTE_PROTO]);
  for (const w of want.routes) {
    const cur = have.find((r) => r.dst === w.dst);
    if (cur && cur.gateway === w.via && (!w.dev || cur.dev === w.dev)) continue;
    await attempt(`route ${w.dst} via ${w.via}`, 'ip', [
      'route',
      'replace',
      w.dst,
      'via',
      w.via,
      ...(w.dev ? ['dev', w.dev, 'onlink'] : []),
      'proto',
      ROUTE_PROTO,
    ]);
  }
  return res;
}
