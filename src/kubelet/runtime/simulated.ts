// A container runtime with no processes: sandboxes and containers are records, and a
// container "runs" until a timer says it exits — kwok's default stages. Containers
// configured with the SIM_RUN_SECONDS annotation exit after that long with SIM_EXIT_CODE
// (default 0); without it they run until stopped. The node agent decides those annotations
// from the pod, so this runtime stays a plain CRI-shaped runtime.
import { createHash } from 'node:crypto';
import {
  RuntimeError,
  SIM_EXIT_CODE,
  SIM_RUN_SECONDS,
  type ContainerConfig,
  type ContainerEvent,
  type ContainerFilter,
  type ContainerRuntime,
  type ContainerStatus,
  type ExecSyncResult,
  type Image,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PodSandboxStatus,
  type RuntimeVersion,
} from './types.js';

export const SIMULATED_RUNTIME_VERSION = 'simulated://1.0';

interface Sandbox {
  status: PodSandboxStatus;
  ipIndex?: number;
}

interface Container {
  status: ContainerStatus;
  timer?: NodeJS.Timeout;
}

const nowNs = (clock: () => number) => BigInt(clock()) * 1_000_000n;

function matches(labels: Record<string, string> | undefined, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

function parseCidr(cidr: string): { base: number; size: number } {
  const [ip, bits] = cidr.split('/');
  const parts = ip!.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RuntimeError('InvalidArgument', `not an IPv4 CIDR: ${cidr}`);
  const prefix = Number(bits);
  const base = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  return { base, size: 2 ** (32 - prefix) };
}

const ipString = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export interface SimulatedRuntimeOptions {
  /** The node's own address: what hostNetwork sandboxes report. */
  hostIP?: string;
  clock?: () => number;
}

export class SimulatedRuntime implements ContainerRuntime {
  readonly runtimeVersionString = SIMULATED_RUNTIME_VERSION;
  readonly runsProcesses = false;
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly containers = new Map<string, Container>();
  private readonly images = new Map<string, Image>();
  private readonly listeners = new Set<(ev: ContainerEvent) => void>();
  private cidr?: { base: number; size: number };
  /** Offsets within the pod CIDR in use; .0 is the network, .1 the bridge. */
  private readonly usedIPs = new Set<number>();
  private nextIP = 2;
  private seq = 0;
  private readonly clock: () => number;

  constructor(private readonly opts: SimulatedRuntimeOptions = {}) {
    this.clock = opts.clock ?? Date.now;
  }

  private id(): string {
    // Unique per process and short: simulated ids only need to be distinct.
    return createHash('sha256')
      .update(`${process.pid}/${++this.seq}/${Math.random()}`)
      .digest('hex');
  }

  private emit(type: ContainerEvent['type'], c: ContainerStatus): void {
    const ev: ContainerEvent = { containerId: c.id, type, podSandboxId: c.podSandboxId, createdAt: nowNs(this.clock) };
    for (const l of this.listeners) l(ev);
  }

  async version(): Promise<RuntimeVersion> {
    return { version: '0.1.0', runtimeName: 'simulated', runtimeVersion: '1.0', runtimeApiVersion: 'v1' };
  }

  async updateRuntimeConfig(cfg: { podCidr: string }): Promise<void> {
    this.cidr = parseCidr(cfg.podCidr);
  }

  private allocateIP(): number {
    const cidr = this.cidr;
    if (!cidr) throw new RuntimeError('FailedPrecondition', 'network is not ready: the node has no pod CIDR yet');
    const usable = cidr.size - 3;
    if (this.usedIPs.size >= usable) throw new RuntimeError('Unavailable', 'no IP addresses available in range set');
    // Round-robin, as host-local IPAM does, so a freed address is not reused at once.
    for (;;) {
      const i = this.nextIP;
      this.nextIP = i + 1 >= cidr.size - 1 ? 2 : i + 1;
      if (!this.usedIPs.has(i)) {
        this.usedIPs.add(i);
        return i;
      }
    }
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = this.id();
    let ip: string | undefined;
    let ipIndex: number | undefined;
    if (config.hostNetwork) ip = this.opts.hostIP;
    else {
      ipIndex = this.allocateIP();
      ip = ipString(this.cidr!.base + ipIndex);
    }
    this.sandboxes.set(id, {
      ipIndex,
      status: {
        id,
        metadata: config.metadata,
        state: 'SANDBOX_READY',
        createdAt: nowNs(this.clock),
        network: ip ? { ip } : undefined,
        labels: config.labels,
        annotations: config.annotations,
      },
    });
    return id;
  }

  private sandbox(id: string): Sandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `an error occurred when try to find sandbox "${id}": not found`);
    return s;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    for (const c of this.containers.values()) if (c.status.podSandboxId === id) this.exit(c, 0, 'Completed');
    s.status = { ...s.status, state: 'SANDBOX_NOTREADY' };
    if (s.ipIndex !== undefined) {
      this.usedIPs.delete(s.ipIndex);
      s.ipIndex = undefined;
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    if (!this.sandboxes.has(id)) return;
    await this.stopPodSandbox(id);
    for (const [cid, c] of this.containers) if (c.status.podSandboxId === id) this.removeRecord(cid, c);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    return this.sandbox(id).status;
  }

  async listPodSandbox(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    return [...this.sandboxes.values()]
      .map((s) => s.status)
      .filter((s) => (!filter.state || s.state === filter.state) && matches(s.labels, filter.labelSelector));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, _sandboxConfig: PodSandboxConfig): Promise<string> {
    const sb = this.sandbox(podSandboxId);
    if (sb.status.state !== 'SANDBOX_READY') throw new RuntimeError('FailedPrecondition', `sandbox ${podSandboxId} is not ready`);
    const image = this.images.get(config.image.image) ?? this.addImage(config.image.image);
    const id = this.id();
    const status: ContainerStatus = {
      id,
      podSandboxId,
      metadata: config.metadata,
      state: 'CONTAINER_CREATED',
      createdAt: nowNs(this.clock),
      startedAt: 0n,
      finishedAt: 0n,
      exitCode: 0,
      image: config.image,
      imageRef: image.id,
      labels: config.labels,
      annotations: config.annotations,
    };
    this.containers.set(id, { status });
    this.emit('CONTAINER_CREATED_EVENT', status);
    return id;
  }

  private container(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `an error occurred when try to find container "${id}": not found`);
    return c;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    if (c.status.state !== 'CONTAINER_CREATED') throw new RuntimeError('FailedPrecondition', `container ${id} is not in created state`);
    c.status = { ...c.status, state: 'CONTAINER_RUNNING', startedAt: nowNs(this.clock) };
    const ann = c.status.annotations ?? {};
    const runSeconds = ann[SIM_RUN_SECONDS] !== undefined ? Number(ann[SIM_RUN_SECONDS]) : undefined;
    if (runSeconds !== undefined && Number.isFinite(runSeconds) && runSeconds >= 0) {
      const code = Number(ann[SIM_EXIT_CODE] ?? 0) || 0;
      c.timer = setTimeout(() => this.exit(c, code, code === 0 ? 'Completed' : 'Error'), runSeconds * 1000);
      c.timer.unref?.();
    }
    this.emit('CONTAINER_STARTED_EVENT', c.status);
  }

  private exit(c: Container, exitCode: number, reason: string): void {
    clearTimeout(c.timer);
    c.timer = undefined;
    if (c.status.state === 'CONTAINER_EXITED') return;
    const now = nowNs(this.clock);
    c.status = { ...c.status, state: 'CONTAINER_EXITED', finishedAt: now, startedAt: c.status.startedAt || now, exitCode, reason };
    this.emit('CONTAINER_STOPPED_EVENT', c.status);
  }

  async stopContainer(id: string, _timeoutSeconds: number): Promise<void> {
    // Simulated processes honour SIGTERM at once and exit cleanly.
    const c = this.containers.get(id);
    if (c) this.exit(c, 0, 'Completed');
  }

  private removeRecord(id: string, c: Container): void {
    clearTimeout(c.timer);
    this.containers.delete(id);
    this.emit('CONTAINER_DELETED_EVENT', c.status);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.removeRecord(id, c);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    return this.container(id).status;
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    for (const c of this.containers.values()) {
      const s = c.status;
      if (filter.podSandboxId && s.podSandboxId !== filter.podSandboxId) continue;
      if (filter.state && s.state !== filter.state) continue;
      if (!matches(s.labels, filter.labelSelector)) continue;
      out.push(s);
    }
    return out;
  }

  getContainerEvents(listener: (ev: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async execSync(): Promise<ExecSyncResult> {
    throw new RuntimeError('Unimplemented', 'the simulated runtime runs no processes: nothing to exec in');
  }

  async exec(): Promise<{ url: string }> {
    throw new RuntimeError('Unimplemented', 'the simulated runtime runs no processes: nothing to exec in');
  }

  async attach(): Promise<{ url: string }> {
    throw new RuntimeError('Unimplemented', 'the simulated runtime runs no processes: nothing to attach to');
  }

  async portForward(): Promise<{ url: string }> {
    throw new RuntimeError('Unimplemented', 'the simulated runtime runs no processes: nothing to forward to');
  }

  private addImage(ref: string): Image {
    const digest = createHash('sha256').update(ref).digest('hex');
    const img: Image = { id: `sha256:${digest}`, repoTags: [ref], repoDigests: [`${ref.split(/[:@]/)[0]}@sha256:${digest}`], size: 1_000_000n };
    this.images.set(ref, img);
    return img;
  }

  async pullImage(image: string): Promise<string> {
    return (this.images.get(image) ?? this.addImage(image)).id;
  }

  async imageStatus(image: string): Promise<Image | undefined> {
    return this.images.get(image);
  }

  async listImages(): Promise<Image[]> {
    return [...this.images.values()];
  }

  async removeImage(image: string): Promise<void> {
    this.images.delete(image);
  }

  async close(): Promise<void> {
    for (const c of this.containers.values()) clearTimeout(c.timer);
    this.containers.clear();
    this.sandboxes.clear();
    this.listeners.clear();
  }
}
