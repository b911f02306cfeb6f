// What an e2e node (a `skiff server` with its node agent, or a `skiff agent`) leaves on the
// host once its process is stopped, and its removal. Stopping Skiff leaves the pods running
// by design (their shims outlive containerd), so a test's teardown has to remove them:
// through CRI, with the node's own containerd started again on its config and no agent
// beside it (an agent still running would replace each sandbox it sees stopped), so that
// CNI DEL runs for every sandbox and takes its nat chains and IP lease with it. Only then
// are the data dir's processes killed and its mounts undone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { podProcesses } from '../../src/kubelet/host-cleanup.js';
import { CriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';

/**
 * Stops and removes every sandbox in this containerd, so that CNI DEL runs for each; lists
 * again until none is left (a few rounds). `waitMs`: how long to wait for a containerd
 * that is still starting. Returns how many sandboxes it removed.
 */
export async function removeSandboxes(socket: string, waitMs = 2000): Promise<number> {
  if (waitMs <= 2000 && !existsSync(socket)) return 0;
  let rt: CriRuntime | undefined;
  let removed = 0;
  try {
    rt = await CriRuntime.connect({ endpoint: `unix://${socket}`, waitMs });
    for (let round = 0; round < 3; round++) {
      const sandboxes = await rt.listPodSandbox();
      if (!sandboxes.length) break;
      for (const sb of sandboxes) {
        await rt.stopPodSandbox(sb.id).catch(() => {});
        await rt.removePodSandbox(sb.id).then(
          () => removed++,
          () => {},
        );
      }
    }
  } catch {
    /* containerd is gone or never started: the process and mount sweep still runs */
  } finally {
    await rt?.close();
  }
  return removed;
}

/**
 * Starts the containerd of a stopped node on its own config (inside the node's network
 * namespace, where the pods' veths and nat rules are), removes every sandbox through CRI,
 * and stops it again.
 */
async function removeSandboxesWithOwnContainerd(agentDir: string, netns?: string): Promise<number> {
  const config = join(agentDir, 'containerd', 'config.toml');
  if (!existsSync(config)) return 0;
  const argv = ['containerd', '--config', config];
  const proc = netns ? spawn('nsenter', [`--net=/run/netns/${netns}`, ...argv], { stdio: 'ignore' }) : spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const exited = new Promise((r) => proc.once('exit', r));
  proc.once('error', () => {});
  try {
    return await removeSandboxes(join(agentDir, 'containerd', 'containerd.sock'), 30_000);
  } finally {
    proc.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
}

/** Processes (containerd, shims) whose command line names this data dir: ours, killed by pid. */
export function killProcessesUnder(dir: string): void {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  for (const line of ps.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m && m[2]!.includes(dir) && Number(m[1]) !== process.pid) kill(Number(m[1]));
  }
}

export function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((p) => p.startsWith(dir));
  for (const p of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* exited meanwhile */
  }
}

/**
 * Everything of a stopped node's data dir off the host: its sandboxes removed through its
 * own containerd (CNI DEL), then — should any survive that — the containers below its shims
 * killed while the shims still hold them (a killed shim's container is re-parented to init
 * and would run on, unseen), then its processes and mounts. Returns the sandboxes removed.
 */
export async function teardownNodeDir(dataDir: string, netns?: string): Promise<number> {
  const agentDir = join(dataDir, 'agent');
  const removed = await removeSandboxesWithOwnContainerd(agentDir, netns);
  for (const pid of podProcesses(join(agentDir, 'containerd'))) kill(pid);
  killProcessesUnder(dataDir);
  unmountUnder(dataDir);
  return removed;
}
