// The node agent's ContainerRuntime over CRI gRPC: containerd (or CRI-O) runs the pods.
// Each method is one CRI call, except where the agent's interface asks for more than CRI
// gives in one answer (listContainers returns full statuses; container events come from
// relisting, as containerd 1.6 has no GetContainerEvents).
import { mkdirSync } from 'node:fs';
import type {
  AttachRequest,
  ContainerConfig,
  ContainerEvent,
  ContainerFilter,
  ContainerRuntime,
  ContainerStatus,
  ExecRequest,
  ExecSyncResult,
  Image,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PullAuth,
  RuntimeContainerStats,
  RuntimeSandboxStats,
  RuntimeVersion,
} from '../types.js';
import { RuntimeError } from '../types.js';
import {
  authToWire,
  containerConfigToWire,
  containerFilterToWire,
  containerStatusFromWire,
  imageFromWire,
  sandboxConfigToWire,
  sandboxFilterToWire,
  sandboxFromWire,
} from './convert.js';
import { CriConnection } from './grpc-client.js';
import { ContainerRelister } from './relist.js';
import { LIST_ALL, listedContainersFromBytes, listedSandboxesFromBytes } from './relist-wire.js';
import { containerStatsFromWire, sandboxStatsFromWire } from './stats-convert.js';
import { ImageStatusCache } from './image-status-cache.js';

type Wire = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CriRuntimeOptions {
  /** unix:///path/to/containerd.sock */
  endpoint: string;
  /** Called with the node's pod CIDR before it is passed on to the runtime (the agent writes its CNI config here). */
  onPodCidr?(podCidr: string): Promise<void>;
  /** Relist period of the container event emulation; default 1 s. */
  relistMs?: number;
  onRelistError?(err: Error): void;
  /** How long an image the runtime has is taken as present without asking again; default 10 s, 0: always ask. */
  imageStatusTtlMs?: number;
}

export interface ImageFsInfo {
  mountpoint: string;
  usedBytes: bigint;
  inodesUsed: bigint;
}

const PULL_TIMEOUT_MS = 15 * 60_000;

export class CriRuntime implements ContainerRuntime {
  readonly runsProcesses = true;
  runtimeVersionString = 'unknown://';
  private readonly conn: CriConnection;
  private readonly relister: ContainerRelister;
  /** CRI ContainerStatus does not say which sandbox a container is in; remembered from create and list. */
  private readonly sandboxOf = new Map<string, string>();
  private readonly images: ImageStatusCache;

  constructor(private readonly opts: CriRuntimeOptions) {
    this.conn = new CriConnection(opts.endpoint);
    this.images = new ImageStatusCache(opts.imageStatusTtlMs);
    this.relister = new ContainerRelister({
      // Sandboxes are listed too, as the kubelet's PLEG does: a pause process that dies
      // changes no container, yet the pod's sandbox must be replaced.
      list: async () => {
        const containers = await this.conn.callRaw('ListContainers', LIST_ALL, listedContainersFromBytes);
        const sandboxes = await this.conn.callRaw('ListPodSandbox', LIST_ALL, listedSandboxesFromBytes);
        return [...containers, ...sandboxes];
      },
      periodMs: opts.relistMs,
      onError: opts.onRelistError,
    });
  }

  /** Connects and asks the runtime its version, retrying until it answers or `waitMs` passes. */
  static async connect(opts: CriRuntimeOptions & { waitMs?: number }): Promise<CriRuntime> {
    const rt = new CriRuntime(opts);
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (let attempt = 0; ; attempt++) {
      try {
        const v = await rt.version(5000);
        rt.runtimeVersionString = `${v.runtimeName}://${v.runtimeVersion}`;
        return rt;
      } catch (err) {
        if (Date.now() >= deadline) {
          rt.conn.close();
          throw new RuntimeError((err as RuntimeError).code ?? 'Unavailable', `no CRI runtime answers at ${opts.endpoint}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** attempt)));
      }
    }
  }

  async version(timeoutMs = 30_000): Promise<RuntimeVersion> {
    const r = await this.conn.call<Wire>('runtime', 'Version', { version: 'v1' }, timeoutMs);
    return { version: r.version, runtimeName: r.runtimeName, runtimeVersion: r.runtimeVersion, runtimeApiVersion: r.runtimeApiVersion };
  }

  /** CRI Status: the runtime's conditions (RuntimeReady, NetworkReady). */
  async status(): Promise<{ type: string; status: boolean; reason: string; message: string }[]> {
    const r = await this.conn.call<Wire>('runtime', 'Status', { verbose: false });
    return ((r.status?.conditions ?? []) as Wire[]).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message }));
  }

  async updateRuntimeConfig(cfg: { podCidr: string }): Promise<void> {
    await this.opts.onPodCidr?.(cfg.podCidr);
    await this.conn.call('runtime', 'UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr: cfg.podCidr } } });
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    // The kubelet, not the runtime, creates the pod's log directory.
    if (config.logDirectory) mkdirSync(config.logDirectory, { recursive: true, mode: 0o755 });
    // Sandbox creation includes CNI setup and can take a while on a busy node.
    const r = await this.conn.call<Wire>('runtime', 'RunPodSandbox', { config: sandboxConfigToWire(config), runtimeHandler: '' }, 4 * 60_000);
    return r.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.conn.call('runtime', 'StopPodSandbox', { podSandboxId }, 4 * 60_000);
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.conn.call('runtime', 'RemovePodSandbox', { podSandboxId }, 4 * 60_000);
    for (const [c, sb] of this.sandboxOf) if (sb === podSandboxId) this.sandboxOf.delete(c);
  }

  async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    const r = await this.conn.call<Wire>('runtime', 'PodSandboxStatus', { podSandboxId, verbose: false });
    if (!r.status) throw new RuntimeError('NotFound', `CRI PodSandboxStatus: sandbox ${podSandboxId} has no status`);
    return sandboxFromWire(r.status);
  }

  async listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]> {
    const r = await this.conn.call<Wire>('runtime', 'ListPodSandbox', { filter: sandboxFilterToWire(filter) });
    return (r.items as Wire[]).map(sandboxFromWire);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    let r: Wire;
    try {
      r = await this.conn.call<Wire>('runtime', 'CreateContainer', {
        podSandboxId,
        config: containerConfigToWire(config, sandboxConfig),
        sandboxConfig: sandboxConfigToWire(sandboxConfig),
      });
    } catch (err) {
      // Perhaps its image went behind this client's back: the next image check asks the runtime.
      this.images.clear();
      throw err;
    }
    this.sandboxOf.set(r.containerId, podSandboxId);
    return r.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.conn.call('runtime', 'StartContainer', { containerId });
  }

  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    await this.conn.call('runtime', 'StopContainer', { containerId, timeout: String(timeoutSeconds) }, (timeoutSeconds + 60) * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.conn.call('runtime', 'RemoveContainer', { containerId });
    this.sandboxOf.delete(containerId);
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    const r = await this.conn.call<Wire>('runtime', 'ContainerStatus', { containerId, verbose: false });
    if (!r.status) throw new RuntimeError('NotFound', `CRI ContainerStatus: container ${containerId} has no status`);
    let sandbox = this.sandboxOf.get(containerId);
    if (sandbox === undefined) {
      const l = await this.conn.call<Wire>('runtime', 'ListContainers', { filter: containerFilterToWire(undefined, containerId) });
      sandbox = (l.containers as Wire[])[0]?.podSandboxId ?? '';
      if (sandbox) this.sandboxOf.set(containerId, sandbox);
    }
    return containerStatusFromWire(r.status, sandbox ?? '');
  }

  async listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]> {
    const r = await this.conn.call<Wire>('runtime', 'ListContainers', { filter: containerFilterToWire(filter) });
    const listed = r.containers as Wire[];
    for (const c of listed) this.sandboxOf.set(c.id, c.podSandboxId);
    const out = await Promise.all(
      listed.map(async (c) => {
        try {
          return await this.containerStatus(c.id);
        } catch (err) {
          // Removed between the list and the status call: it is simply not there any more.
          if (err instanceof RuntimeError && err.code === 'NotFound') return undefined;
          throw err;
        }
      }),
    );
    return out.filter((c): c is ContainerStatus => c !== undefined);
  }

  getContainerEvents(listener: (ev: ContainerEvent) => void): () => void {
    return this.relister.subscribe(listener);
  }

  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const r = await this.conn.call<Wire>(
      'runtime',
      'ExecSync',
      { containerId, cmd, timeout: String(timeoutSeconds) },
      (timeoutSeconds > 0 ? timeoutSeconds + 30 : 3600) * 1000,
    );
    return { stdout: Buffer.from(r.stdout ?? []), stderr: Buffer.from(r.stderr ?? []), exitCode: r.exitCode ?? 0 };
  }

  async exec(req: ExecRequest): Promise<{ url: string }> {
    const r = await this.conn.call<Wire>('runtime', 'Exec', {
      containerId: req.containerId,
      cmd: req.cmd,
      tty: req.tty,
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
    });
    return { url: r.url };
  }

  async attach(req: AttachRequest): Promise<{ url: string }> {
    const r = await this.conn.call<Wire>('runtime', 'Attach', {
      containerId: req.containerId,
      stdin: req.stdin,
      tty: req.tty,
      stdout: req.stdout,
      stderr: req.stderr,
    });
    return { url: r.url };
  }

  async portForward(req: { podSandboxId: string; ports: number[] }): Promise<{ url: string }> {
    const r = await this.conn.call<Wire>('runtime', 'PortForward', { podSandboxId: req.podSandboxId, port: req.ports });
    return { url: r.url };
  }

  async pullImage(image: string, auth?: PullAuth): Promise<string> {
    const r = await this.conn.call<Wire>('image', 'PullImage', { image: { image }, auth: authToWire(auth), sandboxConfig: null }, PULL_TIMEOUT_MS);
    this.images.clear();
    return r.imageRef;
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    const cached = this.images.get(image);
    if (cached) return cached;
    const r = await this.conn.call<Wire>('image', 'ImageStatus', { image: { image }, verbose: false });
    if (!r.image) return undefined;
    const found = imageFromWire(r.image);
    this.images.set(image, found);
    return found;
  }

  async listImages(): Promise<Image[]> {
    const r = await this.conn.call<Wire>('image', 'ListImages', { filter: null });
    return (r.images as Wire[]).map(imageFromWire);
  }

  async removeImage(image: string): Promise<void> {
    this.images.clear();
    await this.conn.call('image', 'RemoveImage', { image: { image } });
    this.images.clear();
  }

  async imageFsInfo(): Promise<ImageFsInfo[]> {
    const r = await this.conn.call<Wire>('image', 'ImageFsInfo', {});
    return (r.imageFilesystems as Wire[]).map((f) => ({
      mountpoint: f.fsId?.mountpoint ?? '',
      usedBytes: BigInt(f.usedBytes?.value ?? 0),
      inodesUsed: BigInt(f.inodesUsed?.value ?? 0),
    }));
  }

  /** CRI ListContainerStats: every container's cgroup usage, read by the runtime. */
  async listContainerStats(): Promise<RuntimeContainerStats[]> {
    const r = await this.conn.call<Wire>('runtime', 'ListContainerStats', { filter: {} }, 30_000);
    return ((r.stats ?? []) as Wire[]).map(containerStatsFromWire);
  }

  /** CRI ListPodSandboxStats: each pod's cgroup and network counters. */
  async listPodSandboxStats(): Promise<RuntimeSandboxStats[]> {
    const r = await this.conn.call<Wire>('runtime', 'ListPodSandboxStats', { filter: {} }, 30_000);
    return ((r.stats ?? []) as Wire[]).map(sandboxStatsFromWire);
  }

  async close(): Promise<void> {
    this.relister.stop();
    this.conn.close();
  }
}
