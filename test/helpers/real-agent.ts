// A `skiff agent` process joining a real server, for e2e tests: its own data dir (so its
// own supervised containerd), its own CNI bridge, optionally inside a network namespace
// the test created. It can be stopped and started again on the same data dir (an agent
// restart), and its cleanup removes its sandboxes (CNI DEL for each), its processes, the
// mounts under its data dir and its bridge, even after a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';
import { teardownNodeDir } from './pod-teardown.js';
import { SKIFF_BIN } from './server.js';

export interface RealAgentOptions {
  /** https://HOST:PORT of the server, reachable from where the agent runs. */
  server: string;
  /** The join token: handed over in a 0600 file (--token-file), as an operator should. */
  token: string;
  nodeName: string;
  nodeIP: string;
  clusterDns?: string;
  /** Run the agent in this network namespace (a name under /run/netns). */
  netns?: string;
  /** Default: a name unique to this run. */
  bridge?: string;
  kubeletPort?: number;
  /** More flags for `skiff agent`. */
  extraArgs?: string[];
}

export interface RealAgent {
  dataDir: string;
  bridge: string;
  socket: string;
  readonly proc: ChildProcess | undefined;
  logs(): string;
  /** DATA_DIR/join-token; a restart after it is removed runs without a token (on the node's certificate). */
  tokenFile: string;
  /** Starts the agent (again, on the same data dir) and resolves once it says it is ready. */
  start(): Promise<void>;
  /** SIGTERM, SIGKILL after 20 s; resolves once the process has exited. */
  stop(): Promise<void>;
  cri(): Promise<CriRuntime>;
  cleanup(): Promise<void>;
}

const running = (p: ChildProcess | undefined): p is ChildProcess => !!p && p.exitCode === null && p.signalCode === null;

export function realAgent(o: RealAgentOptions): RealAgent {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-agent-'));
  const bridge = o.bridge ?? `ska${Math.random().toString(36).slice(2, 7)}`;
  const agentDir = join(dataDir, 'agent');
  const socket = join(agentDir, 'containerd', 'containerd.sock');
  let proc: ChildProcess | undefined;
  let out = '';
  let err = '';
  let cleaned = false;
  // No upstream nameservers for the node's DNS: nothing leaves this machine.
  writeFileSync(join(dataDir, 'resolv.conf'), '# e2e: no upstream nameservers\n');
  const tokenFile = join(dataDir, 'join-token');
  writeFileSync(tokenFile, `${o.token}\n`, { mode: 0o600 });
  const args = () => [
    SKIFF_BIN,
    'agent',
    '--server',
    o.server,
    ...(existsSync(tokenFile) ? ['--token-file', tokenFile] : []),
    '--data-dir',
    dataDir,
    '--resolv-conf',
    join(dataDir, 'resolv.conf'),
    '--node-name',
    o.nodeName,
    '--node-ip',
    o.nodeIP,
    '--runtime',
    'cri',
    '--cni-bridge',
    bridge,
    ...(o.clusterDns ? ['--cluster-dns', o.clusterDns] : []),
    '--kubelet-port',
    String(o.kubeletPort ?? 0),
    // On the host's own namespace an agent adds no routes or rules of a pod network backend,
    // and no service proxy (it would write the host's iptables).
    ...(o.netns || o.extraArgs?.includes('--pod-network') ? [] : ['--pod-network', 'none']),
    ...(o.netns || o.extraArgs?.includes('--disable-proxy') ? [] : ['--disable-proxy']),
    ...(o.netns || o.extraArgs?.some((a) => a.includes('ingress')) ? [] : ['--disable-ingress']),
    ...(o.extraArgs ?? []),
  ];
  const agent: RealAgent = {
    dataDir,
    tokenFile,
    bridge,
    socket,
    get proc() {
      return proc;
    },
    logs: () => `${out}\n${err}`,
    async start() {
      if (running(proc)) throw new Error('the agent is running already');
      // nsenter --net, not `ip netns exec`: that one remounts /sys for the namespace, which
      // hides /sys/fs/cgroup from containerd and runc.
      const [cmd, argv] = o.netns ? ['nsenter', [`--net=/run/netns/${o.netns}`, process.execPath, ...args()]] : [process.execPath, args()];
      const from = out.length;
      const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      p.stdout!.on('data', (d) => (out += d));
      p.stderr!.on('data', (d) => (err = (err + d).slice(-400_000)));
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`skiff agent did not become ready in 90 s:\n${agent.logs().slice(-8000)}`)), 90_000);
        const check = () => {
          if (/skiff agent ready/.test(out.slice(from))) {
            clearTimeout(timer);
            p.off('exit', onExit);
            res();
          }
        };
        const onExit = (code: number | null) => {
          clearTimeout(timer);
          rej(new Error(`skiff agent exited with ${code}:\n${agent.logs().slice(-8000)}`));
        };
        p.stdout!.on('data', check);
        p.once('exit', onExit);
        check();
      });
    },
    async stop() {
      const p = proc;
      if (!running(p)) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
      clearTimeout(timer);
      if (running(p)) {
        p.kill('SIGKILL');
        await exited;
      }
    },
    cri: () => CriRuntime.connect({ endpoint: `unix://${socket}`, waitMs: 5000 }),
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      // The agent may be anywhere (starting, stopped, running): stopped first, then its
      // containerd alone removes the sandboxes, so that CNI DEL runs for each and the pods'
      // processes, netns and leases go.
      await agent.stop();
      await teardownNodeDir(dataDir, o.netns);
      if (!o.netns) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return agent;
}
