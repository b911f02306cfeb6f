// Before Skiff creates its bridge, VXLAN device and routes it looks at what the host
// already has: an interface of the bridge's name that is not Skiff's, or a route into the
// cluster CIDR that Skiff did not make (another cluster's overlay, a VPN, a docker network),
// would make pods unreachable or send their traffic somewhere else. It stops then, with an
// error that names the flag to change.
import { runJson, type CommandRunner } from './commands.js';
import { netContains, netsOverlap, parseIpv4Net } from './ipv4.js';
import { ROUTE_PROTO } from './pod-routes.js';
import { LINK_ALIAS, linkInfo } from './vxlan.js';

export interface ConflictCheck {
  bridge: string;
  vxlanDevice: string;
  clusterCidr: string;
  /** Flag names as the command spells them, for the error text. */
  bridgeFlag?: string;
  clusterCidrFlag?: string;
}

interface RouteRow {
  type?: string;
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
}
interface AddrRow {
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Problems found, each a sentence naming the flag to change; empty when the host is clear. */
export async function findConflicts(run: CommandRunner, c: ConflictCheck): Promise<string[]> {
  const bridgeFlag = c.bridgeFlag ?? '--cni-bridge';
  const cidrFlag = c.clusterCidrFlag ?? '--cluster-cidr';
  const cluster = parseIpv4Net(c.clusterCidr);
  if (!cluster) return [`${cidrFlag} ${c.clusterCidr} is not an IPv4 CIDR`];
  const problems: string[] = [];
  const bridge = await linkInfo(run, c.bridge);
  if (bridge && bridge.ifalias !== LINK_ALIAS) {
    const kind = bridge.linkinfo?.info_kind;
    if (kind !== 'bridge')
      problems.push(
        `an interface named ${c.bridge} exists and is not a bridge (it is ${kind ? `a ${kind} device` : 'a physical or unknown device'}): choose another name with ${bridgeFlag}`,
      );
    else {
      const addrs = (await runJson<AddrRow>(run, 'ip', ['-j', '-4', 'addr', 'show', 'dev', c.bridge]))
        .flatMap((r) => r.addr_info ?? [])
        .filter((a) => a.family === 'inet');
      const foreign = addrs.filter((a) => !netContains(cluster, a.local));
      if (foreign.length)
        problems.push(
          `the bridge ${c.bridge} exists with address ${foreign.map((a) => `${a.local}/${a.prefixlen}`).join(', ')}, outside ${c.clusterCidr}: it belongs to another network; choose another name with ${bridgeFlag} (or run \`skiff cleanup\` if an earlier Skiff with another ${cidrFlag} made it)`,
        );
    }
  }
  const vx = await linkInfo(run, c.vxlanDevice);
  if (vx && vx.ifalias !== LINK_ALIAS)
    problems.push(
      `an interface named ${c.vxlanDevice} (the VXLAN device that goes with bridge ${c.bridge}) exists and is not Skiff's: choose another bridge name with ${bridgeFlag}`,
    );
  const routes = await runJson<RouteRow>(run, 'ip', ['-j', '-4', 'route', 'show', 'table', 'main']);
  for (const r of routes) {
    if (r.dst === 'default') continue;
    const net = parseIpv4Net(r.dst);
    if (!net || !netsOverlap(net, cluster)) continue;
    // Skiff's own: its routes (by protocol), and what the kernel adds for its bridge and VXLAN device.
    if (r.protocol === ROUTE_PROTO || r.dev === c.bridge || r.dev === c.vxlanDevice) continue;
    const text = [r.type && r.type !== 'unicast' ? r.type : '', r.dst, r.gateway ? `via ${r.gateway}` : '', r.dev ? `dev ${r.dev}` : '']
      .filter(Boolean)
      .join(' ');
    problems.push(
      `the host route "${text}" overlaps ${cidrFlag} ${c.clusterCidr} and was not made by Skiff: choose a ${cidrFlag} that no network of this host uses`,
    );
  }
  return problems;
}

export async function checkConflicts(run: CommandRunner, c: ConflictCheck): Promise<void> {
  const problems = await findConflicts(run, c);
  if (problems.length) throw new Error(`the pod network cannot be set up on this host: ${problems.join('; ')}`);
}
