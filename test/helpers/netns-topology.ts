// The network a multi-node e2e test runs in: one network namespace per node, all on one
// L2 segment (a bridge inside an extra "switch" namespace, a veth from it to each node), plus
// one veth from the switch to the host so that kubectl on the host reaches the API server at
// the server node's address. Every name and CIDR is unique to the run and checked against
// the host's routes; while the topology exists the host holds `unreachable` routes for the
// test's pod and service CIDRs, so a missing rule inside a node drops packets instead of
// sending them out of the machine.
//
// What a run made is recorded in a file under /run (namespaces, host link, routes, data
// dirs); a later run removes the leftovers of runs whose process died without cleaning
// up (SIGKILL, a crash), so that nothing accumulates on the host.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netsOverlap, parseIpv4Net, type Ipv4Net } from '../../src/kubelet/network/ipv4.js';
import { killProcessesUnder, unmountUnder } from './pod-teardown.js';

const RECORD_DIR = '/run/skiff-netns-tests';

export interface RunRecord {
  pid: number;
  namespaces: string[];
  hostLinks: string[];
  /** Host routes as `ip route` arguments after `del`, e.g. `unreachable 10.170.0.0/17`. */
  routes: string[];
  /** Processes are found by these (command lines naming them) and by the namespaces, never by a stored pid that may be reused. */
  dataDirs: string[];
}

export function ipOk(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
}

const quiet = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' });

/** The IPv4 networks the host's routing tables hold (all tables, so policy routing counts too). */
export function hostRouteNets(): Ipv4Net[] {
  const r = spawnSync('ip', ['-4', '-o', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  const nets: Ipv4Net[] = [];
  for (const line of r.stdout.split('\n')) {
    const words = line.trim().split(/\s+/);
    // `10.1.0.0/16 dev x`, `unreachable 10.2.0.0/16`, `local 10.3.0.1 dev y table local`, `default via …`.
    const dst = /^(unicast|unreachable|blackhole|prohibit|local|broadcast|throw|nat|anycast|multicast)$/.test(words[0] ?? '') ? words[1] : words[0];
    if (!dst || dst === 'default') continue;
    const net = parseIpv4Net(dst);
    if (net) nets.push(net);
  }
  return nets;
}

export function freeOnHost(cidr: string): boolean {
  const want = parseIpv4Net(cidr)!;
  return !hostRouteNets().some((n) => netsOverlap(n, want));
}

/** A random pick from [from, from+count) for which `ok` holds, or an error naming what was looked for. */
export function pickFree(what: string, from: number, count: number, ok: (n: number) => boolean): number {
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const n = from + ((start + i) % count);
    if (ok(n)) return n;
  }
  throw new Error(`no free ${what}: every candidate overlaps a route on this host`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes everything a record names; each step is best effort so that one failure does not stop the rest. */
export function removeRecorded(rec: RunRecord): void {
  for (const ns of rec.namespaces) {
    // Whatever still runs in a node's namespace (containerd, shims) is ours.
    const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .map(Number)
      .filter((n) => n > 0 && n !== process.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* exited meanwhile */
      }
    }
  }
  for (const dir of rec.dataDirs) {
    killProcessesUnder(dir);
    unmountUnder(dir);
  }
  for (const ns of rec.namespaces) quiet('ip', ['netns', 'del', ns]);
  for (const link of rec.hostLinks) quiet('ip', ['link', 'del', link]);
  for (const route of rec.routes) quiet('ip', ['route', 'del', ...route.split(' ')]);
  for (const dir of rec.dataDirs) rmSync(dir, { recursive: true, force: true });
}

/** Removes the leftovers of earlier runs whose process is gone. */
export function sweepDeadRuns(): void {
  if (!existsSync(RECORD_DIR)) return;
  for (const f of readdirSync(RECORD_DIR)) {
    const path = join(RECORD_DIR, f);
    let rec: RunRecord;
    try {
      rec = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    } catch {
      continue;
    }
    if (alive(rec.pid)) continue;
    removeRecorded(rec);
    rmSync(path, { force: true });
  }
}

/** A run's record, written to disk on every change. */
export class RecordFile {
  readonly rec: RunRecord = { pid: process.pid, namespaces: [], hostLinks: [], routes: [], dataDirs: [] };
  readonly path: string;

  constructor(tag: string) {
    mkdirSync(RECORD_DIR, { recursive: true });
    this.path = join(RECORD_DIR, `${process.pid}-${tag}.json`);
    this.save();
  }

  add(kind: Exclude<keyof RunRecord, 'pid'>, value: string): void {
    this.rec[kind].push(value);
    this.save();
  }

  save(): void {
    writeFileSync(this.path, JSON.stringify(this.rec));
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}

export interface Topology {
  tag: string;
  switchNs: string;
  /** One namespace per node, in order. */
  nodeNs: string[];
  nodeIPs: string[];
  /** The host's address on the segment. */
  hostIP: string;
  hostLink: string;
  /** The segment, e.g. 10.213.7.0/24. */
  linkCidr: string;
}

/**
 * Builds the namespaces and links (recording each as it goes, so that removeRecorded
 * undoes a failure half-way). `serviceCidr` is routed from every node to the
 * host, where the unreachable route answers: a node reaches cluster IPs only through its
 * proxy's rules (the kernel wants a route before the OUTPUT chain's DNAT runs), and an
 * address no rule rewrites goes nowhere.
 */
export function buildTopology(tag: string, nodes: number, serviceCidr: string, record: RecordFile): Topology {
  const y = pickFree('link subnet', 200, 50, (n) => freeOnHost(`10.${n}.0.0/16`));
  const z = Math.floor(Math.random() * 256);
  const linkCidr = `10.${y}.${z}.0/24`;
  const hostIP = `10.${y}.${z}.1`;
  const nodeIPs = Array.from({ length: nodes }, (_, i) => `10.${y}.${z}.${10 + i}`);
  const switchNs = `skn-${tag}-sw`;
  const nodeNs = Array.from({ length: nodes }, (_, i) => `skn-${tag}-n${i}`);
  const hostLink = `skh${tag}`;
  ipOk(['netns', 'add', switchNs]);
  record.add('namespaces', switchNs);
  ipOk(['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
  ipOk(['-n', switchNs, 'link', 'set', 'br0', 'up']);
  ipOk(['-n', switchNs, 'link', 'set', 'lo', 'up']);
  ipOk(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', switchNs]);
  record.add('hostLinks', hostLink);
  ipOk(['addr', 'add', `${hostIP}/24`, 'dev', hostLink]);
  ipOk(['link', 'set', hostLink, 'up']);
  ipOk(['-n', switchNs, 'link', 'set', 'uplink', 'master', 'br0', 'up']);
  nodeNs.forEach((ns, i) => {
    ipOk(['netns', 'add', ns]);
    record.add('namespaces', ns);
    ipOk(['-n', switchNs, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    ipOk(['-n', switchNs, 'link', 'set', `p${i}`, 'master', 'br0', 'up']);
    ipOk(['-n', ns, 'link', 'set', 'lo', 'up']);
    ipOk(['-n', ns, 'addr', 'add', `${nodeIPs[i]}/24`, 'dev', 'eth0']);
    ipOk(['-n', ns, 'link', 'set', 'eth0', 'up']);
    ipOk(['-n', ns, 'route', 'add', serviceCidr, 'via', hostIP]);
  });
  return { tag, switchNs, nodeNs, nodeIPs, hostIP, hostLink, linkCidr };
}

/** Adds `unreachable` routes on the host for the run's CIDRs; fails when another run holds one of them. */
export function holdCidrs(cidrs: string[], record: RecordFile): void {
  for (const c of cidrs) {
    ipOk(['route', 'add', 'unreachable', c]);
    record.add('routes', `unreachable ${c}`);
  }
}
