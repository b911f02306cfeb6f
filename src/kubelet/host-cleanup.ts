// `skiff cleanup`: returns a host to the state before Skiff ran on it, as k3s-killall.sh
// does. With the node agent (and so its containerd) stopped, it kills the pods' containers
// and their shims, unmounts what the agent mounted under DATA_DIR/agent (pod network
// namespaces, container root filesystems, volumes), and removes every rule, route and link
// of the pod network and the service proxy (network/rules-cleanup.ts). Data stays: the
// store, certificates and images are the cluster's, not the host's.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCommand, type CommandRunner } from './network/commands.js';
import { cleanupNetworkRules, type CleanupReport } from './network/rules-cleanup.js';

export interface HostCleanupOptions {
  /** The server's or agent's --data-dir. */
  dataDir: string;
  bridge: string;
  run?: CommandRunner;
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    const done = (v: boolean) => {
      s.destroy();
      res(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(d), ppid, argv });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** The containerd shims of this data dir's containerd and every process below them (the containers). */
export function podProcesses(containerdDir: string, procs = processes()): number[] {
  const shims = procs.filter((p) => basename(p.argv[0] ?? '').startsWith('containerd-shim') && p.argv.some((a) => a.startsWith(containerdDir)));
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) walk(c);
    found.push(pid);
  };
  for (const s of shims) walk(s.pid);
  return found;
}

/** Mount points under `dir`, deepest first, with their filesystem type. */
export function mountsUnder(dir: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): { path: string; fstype: string }[] {
  const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const rows: { path: string; fstype: string }[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    const path = unescapeOctal(left?.split(' ')[4] ?? '');
    if (path === dir || path.startsWith(`${dir}/`)) rows.push({ path, fstype: right?.split(' ')[0] ?? '' });
  }
  return rows.sort((a, b) => b.path.length - a.path.length);
}

export async function cleanupHost(o: HostCleanupOptions): Promise<CleanupReport> {
  const agentDir = join(o.dataDir, 'agent');
  const containerdDir = join(agentDir, 'containerd');
  if (await socketAnswers(join(containerdDir, 'containerd.sock')))
    throw new Error(`the containerd of ${o.dataDir} is running: stop the skiff server or agent that uses this data dir first`);
  const report: CleanupReport = { removed: [], failed: [] };
  const pids = podProcesses(containerdDir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  if (pids.length) report.removed.push(`${pids.length} container and shim processes`);
  // Killed processes leave their mounts busy for a moment.
  for (let i = 0; i < 50 && podProcesses(containerdDir).length; i++) await new Promise((r) => setTimeout(r, 100));
  const mounts = mountsUnder(agentDir);
  for (const m of mounts) {
    const r = spawnSync('umount', [m.path], { encoding: 'utf8' });
    if (r.status !== 0 && spawnSync('umount', ['-l', m.path]).status !== 0) {
      report.failed.push(`unmount ${m.path}: ${r.stderr.trim()}`);
      continue;
    }
    // A pod's network namespace is a file the runtime bind-mounted it on; unmounted, the namespace goes.
    if (m.fstype === 'nsfs') rmSync(m.path, { force: true });
  }
  if (mounts.length)
    report.removed.push(`${mounts.length} mounts under ${agentDir} (${mounts.filter((m) => m.fstype === 'nsfs').length} pod network namespaces)`);
  const net = await cleanupNetworkRules(o.run ?? runCommand, { bridge: o.bridge });
  report.removed.push(...net.removed);
  report.failed.push(...net.failed);
  return report;
}
