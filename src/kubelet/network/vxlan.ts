// The node's VXLAN device for `--pod-network vxlan`: VNI 1 on UDP 8472 over the interface
// that holds the node's InternalIP, no learning (the node agent writes every forwarding
// entry from the Node objects), the node's VTEP address (its pod CIDR's network address) as
// a /32. Its MAC is derived from the node name, so a recreated device keeps the address the
// other nodes already know.
import { createHash } from 'node:crypto';
import { mustRun, runJson, type CommandRunner } from './commands.js';
import { VXLAN_PORT, VXLAN_VNI, vtepIp } from './pod-routes.js';

/** The alias Skiff puts on the links it creates, so that `skiff cleanup` finds them and nobody else's. */
export const LINK_ALIAS = 'skiff-pod-network';
/** VXLAN encapsulation: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

/** The VXLAN device that goes with a bridge: `skiff.1` beside the default `skiff0`, else `<bridge>.vx`. */
export function vxlanDeviceName(bridge: string): string {
  return bridge === 'skiff0' ? 'skiff.1' : `${bridge.slice(0, 12)}.vx`;
}

/** A locally administered unicast MAC from the node name. */
export function vtepMacFor(nodeName: string): string {
  const h = createHash('sha256').update(`skiff-vtep:${nodeName}`).digest();
  h[0] = (h[0]! & 0xfe) | 0x02;
  return [...h.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface Underlay {
  dev: string;
  mtu: number;
}

interface AddrRow {
  ifname: string;
  mtu: number;
  addr_info?: { family: string; local: string }[];
}

/** The interface that holds `ip`, or a clear error: a node's InternalIP must be one of its own addresses. */
export async function underlayFor(run: CommandRunner, ip: string, flag: string): Promise<Underlay> {
  const rows = await runJson<AddrRow>(run, 'ip', ['-j', '-4', 'addr', 'show']);
  const row = rows.find((r) => r.addr_info?.some((a) => a.family === 'inet' && a.local === ip));
  if (!row)
    throw new Error(
      `${ip} is not an address of this host (its interfaces hold ${rows.flatMap((r) => (r.addr_info ?? []).map((a) => `${a.local} on ${r.ifname}`)).join(', ') || 'none'}): set ${flag} to one of them`,
    );
  return { dev: row.ifname, mtu: row.mtu };
}

interface LinkRow {
  ifname: string;
  address?: string;
  mtu?: number;
  ifalias?: string;
  operstate?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; port?: number; learning?: boolean; link?: string } };
}

export async function linkInfo(run: CommandRunner, name: string): Promise<LinkRow | undefined> {
  const r = await run('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout || '[]') as LinkRow[])[0];
}

export interface VxlanSpec {
  name: string;
  localIP: string;
  underlay: Underlay;
  mac: string;
  podCidr: string;
}

/** Creates or repairs the device; returns its MAC as the kernel reports it. */
export async function ensureVxlan(run: CommandRunner, s: VxlanSpec): Promise<string> {
  let link = await linkInfo(run, s.name);
  const d = link?.linkinfo?.info_data;
  if (link && (link.linkinfo?.info_kind !== 'vxlan' || d?.id !== VXLAN_VNI || d?.local !== s.localIP || d?.port !== VXLAN_PORT)) {
    await mustRun(run, 'ip', ['link', 'del', s.name]);
    link = undefined;
  }
  const mtu = s.underlay.mtu - VXLAN_OVERHEAD;
  if (!link) {
    await mustRun(run, 'ip', [
      'link',
      'add',
      s.name,
      'type',
      'vxlan',
      'id',
      String(VXLAN_VNI),
      'local',
      s.localIP,
      'dev',
      s.underlay.dev,
      'dstport',
      String(VXLAN_PORT),
      'nolearning',
    ]);
    link = await linkInfo(run, s.name);
  }
  if (link?.address !== s.mac) await mustRun(run, 'ip', ['link', 'set', 'dev', s.name, 'address', s.mac]);
  if (link?.mtu !== mtu) await mustRun(run, 'ip', ['link', 'set', 'dev', s.name, 'mtu', String(mtu)]);
  if (link?.ifalias !== LINK_ALIAS) await mustRun(run, 'ip', ['link', 'set', 'dev', s.name, 'alias', LINK_ALIAS]);
  const vtep = `${vtepIp(s.podCidr)}/32`;
  const addrs = await runJson<AddrRow>(run, 'ip', ['-j', '-4', 'addr', 'show', 'dev', s.name]);
  const have = addrs.flatMap((r) => (r.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local));
  for (const a of have) if (`${a}/32` !== vtep) await mustRun(run, 'ip', ['addr', 'del', `${a}/32`, 'dev', s.name]);
  if (!have.some((a) => `${a}/32` === vtep)) await mustRun(run, 'ip', ['addr', 'replace', vtep, 'dev', s.name]);
  if (!link?.flags?.includes('UP')) await mustRun(run, 'ip', ['link', 'set', 'dev', s.name, 'up']);
  return (await linkInfo(run, s.name))?.address ?? s.mac;
}

/** Removes the device when it is Skiff's (mode changed away from vxlan). */
export async function removeVxlan(run: CommandRunner, name: string): Promise<boolean> {
  const link = await linkInfo(run, name);
  if (link?.linkinfo?.info_kind !== 'vxlan' || link.ifalias !== LINK_ALIAS) return false;
  await mustRun(run, 'ip', ['link', 'del', name]);
  return true;
}

/**
 * Creates the pod bridge before the first pod does (the CNI bridge plugin takes an existing
 * one as it is), marked with Skiff's alias so that cleanup and the conflict check know it.
 */
export async function ensureBridge(run: CommandRunner, name: string, mtu: number): Promise<void> {
  let link = await linkInfo(run, name);
  if (!link) {
    await mustRun(run, 'ip', ['link', 'add', name, 'mtu', String(mtu), 'type', 'bridge']);
    link = await linkInfo(run, name);
  }
  if (link?.ifalias !== LINK_ALIAS) await mustRun(run, 'ip', ['link', 'set', 'dev', name, 'alias', LINK_ALIAS]);
  if (!link?.flags?.includes('UP')) await mustRun(run, 'ip', ['link', 'set', 'dev', name, 'up']);
}
