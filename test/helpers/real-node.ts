// A `skiff server` with a real node agent (CRI runtime, supervised containerd, CNI bridge)
// for e2e tests and benchmarks, with host names (bridge, pod and service CIDRs) unique to
// this run so that parallel runs do not meet, and a cleanup that removes what it created
// on the host even after a failure (pod-teardown.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxAvailable } from '../../src/images/busybox.js';
import { criUnavailableReason } from '../../src/kubelet/node-runtime.js';
import { CriRuntime } from '../../src/kubelet/runtime/cri/cri-runtime.js';
import { teardownNodeDir } from './pod-teardown.js';
import { kubectlAt, SKIFF_BIN, type KubectlResult } from './server.js';

/** Why real containers cannot run here, or undefined. */
export function realNodeMissing(): string | undefined {
  const why = criUnavailableReason();
  if (why) return why;
  if (spawnSync('which', ['kubectl']).status !== 0) return 'kubectl is not installed';
  if (!busyboxAvailable()) return 'busybox-static is not installed (the test images are built from it)';
  return undefined;
}

export interface RealNode {
  dataDir: string;
  bridge: string;
  /** The node's pod CIDR is the first /24 of this. */
  clusterCidr: string;
  podNet: string;
  kubeconfig: string;
  socket: string;
  ipamDir: string;
  /** The server process (a new one after restart()). */
  readonly proc: ChildProcess;
  logs(): string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  cri(): Promise<CriRuntime>;
  /** Stops the server (SIGTERM) and starts it again on the same data dir; resolves once it is ready. */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, SIGKILL after 20 s); its containers keep running. */
  stop(): Promise<void>;
  /** Server and containerd stopped, then leftover pods removed (CNI DEL each) and host state removed. Safe to call twice. */
  cleanup(): Promise<void>;
}

export interface RealNodeOptions {
  /** Where the API server (and the host's node agent) listens; default 127.0.0.1. */
  bindAddress?: string;
  /** An (empty) directory the test prepared, e.g. a small filesystem mounted there; cleanup unmounts and removes it. */
  dataDir?: string;
  /**
   * Run the server inside this network namespace (a name under /run/netns) the test created,
   * where its service proxy may program rules. Outside one the proxy is off: the host's
   * iptables stay untouched.
   */
  netns?: string;
  /** Pod network, service network and cluster DNS IP; default: a /16 picked at random from 10.160-199. */
  cidrs?: { cluster: string; service: string; dns: string; podNet: string };
  bridge?: string;
}

export async function startRealNode(extraArgs: string[] = [], opts: RealNodeOptions = {}): Promise<RealNode> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-e2e-'));
  const tag = Math.random().toString(36).slice(2, 7);
  // 10.160.0.0 … 10.199.0.0: pod /17 and service /17 of one /16, unlikely to meet another run's.
  const octet = 160 + Math.floor(Math.random() * 40);
  const cidrs = opts.cidrs ?? { cluster: `10.${octet}.0.0/17`, service: `10.${octet}.128.0/17`, dns: `10.${octet}.128.10`, podNet: `10.${octet}.` };
  const clusterCidr = cidrs.cluster;
  const bridge = opts.bridge ?? `skt${tag}`;
  // The cluster DNS forwards (and sends its loop probe) to the node's resolv.conf servers:
  // unless the test names its own, it gets none, so nothing leaves this machine.
  writeFileSync(join(dataDir, 'resolv.conf'), '# e2e: no upstream nameservers\n');
  const args = [
    SKIFF_BIN,
    'server',
    '--runtime',
    'cri',
    '--data-dir',
    dataDir,
    '--https-port',
    '0',
    '--kubelet-port',
    '0',
    '--bind-address',
    opts.bindAddress ?? '127.0.0.1',
    '--cluster-cidr',
    clusterCidr,
    '--service-cidr',
    cidrs.service,
    '--cluster-dns',
    cidrs.dns,
    '--cni-bridge',
    bridge,
    ...(extraArgs.includes('--resolv-conf') ? [] : ['--resolv-conf', join(dataDir, 'resolv.conf')]),
    // On the host's own namespace a node stays alone: no routes or rules of a pod network backend there.
    ...(opts.netns || extraArgs.includes('--pod-network') ? [] : ['--pod-network', 'none']),
    ...extraArgs,
    ...(opts.netns || extraArgs.includes('--disable-proxy') ? [] : ['--disable-proxy']),
    // Nor does it take the host's ports 80/443 for an ingress no host-namespace test uses.
    ...(opts.netns || extraArgs.some((a) => a.includes('ingress')) ? [] : ['--disable-ingress']),
  ];
  // nsenter --net, not `ip netns exec`: that one remounts /sys for the namespace, which hides
  // /sys/fs/cgroup from containerd and runc.
  const [cmd, argv] = opts.netns ? ['nsenter', [`--net=/run/netns/${opts.netns}`, process.execPath, ...args]] : [process.execPath, args];
  let out = '';
  let err = '';
  let proc: ChildProcess;
  /** Starts the server and resolves once it has printed its ready line. */
  const launch = async (): Promise<void> => {
    const from = out.length;
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (err = (err + d).slice(-400_000)));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`skiff server did not become ready in 60 s:\n${node.logs()}`)), 60_000);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        rej(new Error(`skiff server exited with ${code}:\n${node.logs()}`));
      };
      const check = () => {
        if (/ready at https:\/\//.test(out.slice(from))) {
          clearTimeout(timer);
          p.off('exit', onExit);
          res();
        }
      };
      p.stdout!.on('data', check);
      p.once('exit', onExit);
    });
  };
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  /** SIGTERM, SIGKILL after 20 s. */
  const stop = async () => {
    if (!alive()) return;
    const p = proc;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 20_000)))]);
    clearTimeout(timer);
    if (alive()) {
      p.kill('SIGKILL');
      await exited;
    }
  };
  const socket = join(dataDir, 'agent', 'containerd', 'containerd.sock');
  let cleaned = false;
  const node: RealNode = {
    dataDir,
    bridge,
    clusterCidr,
    podNet: cidrs.podNet,
    socket,
    kubeconfig: join(dataDir, 'kubeconfig.yaml'),
    ipamDir: join(dataDir, 'agent', 'cni', 'ipam', 'skiff'),
    get proc() {
      return proc;
    },
    logs: () => `${out}\n${err}`,
    kubectl: kubectlAt(join(dataDir, 'kubeconfig.yaml'), dataDir),
    cri: () => CriRuntime.connect({ endpoint: `unix://${socket}`, waitMs: 5000 }),
    restart: async () => {
      await stop();
      await launch();
    },
    stop: () => stop(),
    cleanup: async () => {
      if (cleaned) return;
      cleaned = true;
      // The server first, so that no agent replaces the sandboxes being removed.
      await stop();
      await teardownNodeDir(dataDir, opts.netns);
      spawnSync('ip', [...(opts.netns ? ['-n', opts.netns] : []), 'link', 'del', bridge], { stdio: 'ignore' });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await launch();
  } catch (e) {
    await node.cleanup();
    throw e;
  }
  return node;
}

/** The API server URL the node's admin kubeconfig points at. */
export function kubeconfigServer(node: RealNode): string {
  const m = /server: (https:\/\/\S+)/.exec(readFileSync(node.kubeconfig, 'utf8'));
  if (!m) throw new Error(`no server in ${node.kubeconfig}`);
  return m[1]!;
}

/** Veth interfaces attached to a bridge. */
export function bridgePorts(bridge: string): string[] {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'master', bridge], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1]!.trim().split('@')[0]!);
}
