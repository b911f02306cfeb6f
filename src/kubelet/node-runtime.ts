// Which container runtime this node's agent drives, and everything that comes with it:
// with `cri`, a supervised containerd (or an existing CRI socket), the CNI network for the
// node's pod CIDR and the built-in images; with `simulated`, no processes at all. `auto`
// takes cri where it can run (root, containerd, runc, ctr and the CNI plugins present) and
// says why when it cannot.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/log.js';
import { CniNetwork, DEFAULT_BRIDGE } from './network/cni.js';
import { CNI_BIN_DIR } from './runtime/containerd-config.js';
import { ContainerdSupervisor } from './runtime/containerd.js';
import { CriRuntime } from './runtime/cri/cri-runtime.js';
import { importArchiveDir, importBuiltinImages } from './runtime/image-import.js';
import { SimulatedRuntime } from './runtime/simulated.js';
import { hostCapacity } from './node/host-capacity.js';
import type { ContainerRuntime } from './runtime/types.js';
import type { SandboxConfigOptions } from './pod/sandbox-config.js';

export type RuntimeKind = 'auto' | 'cri' | 'simulated';

export function parseRuntimeKind(v: string): RuntimeKind {
  if (v === 'auto' || v === 'cri' || v === 'simulated') return v;
  throw new Error(`--runtime must be auto, cri or simulated, not ${JSON.stringify(v)}`);
}

export interface NodeRuntimeOptions {
  kind: RuntimeKind;
  /** unix:///… of an existing CRI runtime; no containerd is started then. */
  endpoint?: string;
  /** DATA_DIR/agent */
  agentDir: string;
  hostIP: string;
  log: Logger;
  clusterDns?: string;
  /** --cluster-domain: pods' search path (default cluster.local). */
  clusterDomain?: string;
  /** The node's resolv.conf, for dnsPolicy Default (default /etc/resolv.conf). */
  resolvConf?: string;
  bridge?: string;
  cniBinDir?: string;
  /** Where `which` looks for binaries (tests pass a PATH without containerd). */
  path?: string;
}

export interface NodeRuntime {
  runtime: ContainerRuntime;
  kind: 'cri' | 'simulated';
  /** Why auto chose simulated. */
  fallbackReason?: string;
  supervisor?: ContainerdSupervisor;
  network?: CniNetwork;
  /** The node's capacity as it should be reported. */
  capacity: Record<string, string>;
  sandbox: SandboxConfigOptions;
  stop(): Promise<void>;
}

function onPath(bin: string, path = process.env.PATH ?? ''): boolean {
  return path.split(':').some((d) => d && existsSync(join(d, bin)));
}

/** Why the CRI runtime cannot run here, or undefined when it can. */
export function criUnavailableReason(opts: { endpoint?: string; cniBinDir?: string; path?: string } = {}): string | undefined {
  if (process.platform !== 'linux') return `containers need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (containerd and CNI need root)';
  const bins = opts.endpoint ? [] : ['containerd', 'containerd-shim-runc-v2', 'runc', 'ctr'];
  for (const b of bins) if (!onPath(b, opts.path)) return `${b} is not installed (apt-get install containerd runc)`;
  const cni = opts.cniBinDir ?? CNI_BIN_DIR;
  for (const p of ['bridge', 'host-local', 'portmap', 'loopback'])
    if (!existsSync(join(cni, p))) return `CNI plugin ${join(cni, p)} is missing (apt-get install containernetworking-plugins)`;
  return undefined;
}

export async function startNodeRuntime(o: NodeRuntimeOptions): Promise<NodeRuntime> {
  const sandbox: SandboxConfigOptions = {
    podLogsDir: join(o.agentDir, 'logs', 'pods'),
    clusterDns: o.clusterDns ? [o.clusterDns] : [],
    clusterDomain: o.clusterDomain ?? 'cluster.local',
    ...(o.resolvConf ? { hostResolvConf: o.resolvConf } : {}),
  };
  let fallbackReason: string | undefined;
  mkdirSync(o.agentDir, { recursive: true, mode: 0o700 });
  if (o.kind !== 'simulated') {
    const why = criUnavailableReason({ endpoint: o.endpoint, cniBinDir: o.cniBinDir, path: o.path });
    if (why && o.kind === 'cri') throw new Error(`--runtime cri cannot run here: ${why}`);
    if (!why) {
      try {
        return await startCri(o, sandbox);
      } catch (err) {
        if (o.kind === 'cri') throw err;
        fallbackReason = `the container runtime did not start: ${(err as Error).message}`;
      }
    } else fallbackReason = why;
  }
  return {
    runtime: new SimulatedRuntime({ hostIP: o.hostIP }),
    kind: 'simulated',
    fallbackReason,
    capacity: hostCapacity(),
    sandbox,
    stop: async () => {},
  };
}

async function startCri(o: NodeRuntimeOptions, sandbox: SandboxConfigOptions): Promise<NodeRuntime> {
  const log = o.log.child('runtime');
  const cniDir = join(o.agentDir, 'cni');
  const network = new CniNetwork({ confDir: join(cniDir, 'net.d'), ipamDir: join(cniDir, 'ipam'), bridge: o.bridge ?? DEFAULT_BRIDGE });
  let supervisor: ContainerdSupervisor | undefined;
  let endpoint = o.endpoint;
  if (!endpoint) {
    supervisor = new ContainerdSupervisor({ agentDir: o.agentDir, cniConfDir: join(cniDir, 'net.d'), cniBinDir: o.cniBinDir, log: log.child('containerd') });
    await supervisor.start();
    endpoint = supervisor.endpoint;
  }
  let runtime: CriRuntime;
  try {
    runtime = await CriRuntime.connect({
      endpoint,
      waitMs: 30_000,
      onPodCidr: async (cidr) => {
        network.configure(cidr);
        log.info('pod network configured', { podCIDR: cidr, bridge: network.bridge, conflist: network.confFile });
      },
      onRelistError: (err) => log.warn('container relist failed', { error: err.message }),
    });
    if (supervisor) {
      // Sandboxes a previous run left are not touched here: the node agent adopts those of
      // pods that still exist and removes the others once it knows its pods.
      const target = { socket: supervisor.layout.socket, snapshotter: supervisor.snapshotter ?? 'overlayfs', stateDir: supervisor.layout.dir };
      const progress = (msg: string) => log.info(msg);
      await importBuiltinImages(target, progress);
      await importArchiveDir(target, join(o.agentDir, 'images'), progress);
    } else log.info('images: using an existing CRI runtime; built-in images are not imported into it', { endpoint });
  } catch (err) {
    await supervisor?.stop();
    throw err;
  }
  return {
    runtime,
    kind: 'cri',
    supervisor,
    network,
    capacity: hostCapacity(o.agentDir),
    sandbox,
    stop: async () => {
      await runtime.close();
      await supervisor?.stop();
    },
  };
}
