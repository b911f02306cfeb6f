// One pod's sandbox as its worker keeps it: created once the volumes are ready, its
// addresses read once, its containers stopped (one, or all as the kubelet kills a pod),
// and stopped or removed. It is the SandboxOps object the worker's steps receive.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../util/log.js';
import { stopContainerGracefully } from '../container/stop.js';
import { stopPodContainers } from './stop.js';
import type { HandlerTarget } from '../prober/handler.js';
import type { ContainerRuntime, PodSandboxConfig, PodSandboxStatus } from '../runtime/types.js';
import { buildSandboxConfig, type SandboxConfigOptions } from './sandbox-config.js';
import type { SandboxOps } from './sandbox-ops.js';

export interface PodSandboxDeps {
  runtime: ContainerRuntime;
  log: Logger;
  event?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  sandbox?: SandboxConfigOptions;
}

export class PodSandbox implements SandboxOps {
  private sandboxId?: string;
  /**
   * A sandbox that died under the pod (its pause process gone), stopped and kept until the
   * next one dies or the pod goes: its exited containers are the pod's last states.
   */
  private retiredId?: string;
  /** The current sandbox's addresses, once read. */
  private ips?: string[];
  private failureLogged = false;
  /** The worker stopped the current sandbox itself (a finished pod): its being not ready is no death. */
  private stoppedHere = false;
  /** The current (or next) sandbox's attempt: the runtime reserves each name+attempt once. */
  private attempt = 0;
  readonly runtime: ContainerRuntime;

  constructor(
    /** namespace/name, for the log. */
    private readonly key: string,
    private readonly deps: PodSandboxDeps,
    readonly now: () => number,
  ) {
    this.runtime = deps.runtime;
  }

  get id(): string | undefined {
    return this.sandboxId;
  }

  /** Given the current sandbox's status: it is not ready although this worker did not stop it. */
  diedBy(status: PodSandboxStatus): boolean {
    return !!this.sandboxId && !this.stoppedHere && status.state !== 'SANDBOX_READY';
  }

  /** The sandboxes whose containers make up the pod's container states: the current one and the retired one. */
  get ids(): string[] {
    return [this.sandboxId, this.retiredId].filter((id): id is string => !!id);
  }

  /**
   * The sandbox died (the kubelet's "SandboxChanged"): what is left of its containers is
   * killed and its network released, and a new one is created on the next sync. The
   * retired sandbox is kept for its containers' states; the one retired before it goes.
   */
  async retire(pod: Pod, graceSeconds: number): Promise<void> {
    const id = this.sandboxId;
    if (!id) return;
    this.attempt = (await this.runtime.podSandboxStatus(id)).metadata.attempt + 1;
    await stopPodContainers(this, pod, id, graceSeconds);
    await this.runtime.stopPodSandbox(id);
    if (this.retiredId) await this.runtime.removePodSandbox(this.retiredId);
    this.retiredId = id;
    this.sandboxId = undefined;
    this.ips = undefined;
    this.failureLogged = false;
  }

  /** A sandbox a previous run of the agent created for this pod. */
  adopt(id: string): void {
    this.sandboxId = id;
    this.stoppedHere = false;
  }

  config(pod: Pod): PodSandboxConfig {
    return buildSandboxConfig(pod, this.deps.sandbox, this.attempt);
  }

  /** Creates the sandbox; false when that failed (the caller retries later). */
  async create(pod: Pod): Promise<boolean> {
    try {
      this.sandboxId = await this.runtime.runPodSandbox(this.config(pod));
      this.stoppedHere = false;
      return true;
    } catch (err) {
      // Said once per pod: waiting for the node's pod CIDR is routine right after registration.
      if (!this.failureLogged) this.deps.log.warn('pod sandbox not created; retrying', { pod: this.key, error: (err as Error).message });
      this.failureLogged = true;
      return false;
    }
  }

  /** The sandbox's status as the runtime has it now (its addresses are remembered). */
  async status(): Promise<PodSandboxStatus> {
    const st = await this.runtime.podSandboxStatus(this.sandboxId!);
    this.remember(st);
    return st;
  }

  /** The sandbox's addresses, which do not change while it lives: read from the runtime once. */
  async podIPs(): Promise<string[]> {
    if (!this.sandboxId) return [];
    if (!this.ips) this.remember(await this.runtime.podSandboxStatus(this.sandboxId));
    return this.ips ?? [];
  }

  async hookTarget(c: Container, containerId: string): Promise<HandlerTarget> {
    const podIP = (await this.podIPs().catch(() => []))[0] ?? '';
    return { runtime: this.runtime, containerId, container: c, podIP };
  }

  kill(pod: Pod | undefined, c: Container | undefined, containerId: string, graceSeconds: number, message: string): Promise<void> {
    return stopContainerGracefully(
      {
        runtime: this.runtime,
        now: this.now,
        hookTarget: (ct, cid) => this.hookTarget(ct, cid),
        event: this.deps.event ? (p, type, reason, msg) => this.deps.event!(p, type, reason, msg) : undefined,
      },
      pod,
      c,
      containerId,
      graceSeconds,
      message,
    );
  }

  /** Stops every running container of the sandbox, sidecars last (see stop.ts). */
  async stopContainers(pod: Pod | undefined, graceSeconds: number): Promise<void> {
    if (this.sandboxId) await stopPodContainers(this, pod, this.sandboxId, graceSeconds);
  }

  /** Stops the sandbox (its containers and network), keeping it and its logs. */
  async stop(): Promise<void> {
    if (!this.sandboxId) return;
    this.stoppedHere = true;
    await this.runtime.stopPodSandbox(this.sandboxId);
  }

  /** Stops the containers within the grace period, then stops and removes the sandbox; false when there was none. */
  async remove(pod: Pod | undefined, graceSeconds: number): Promise<boolean> {
    const id = this.sandboxId;
    if (!id) {
      if (this.retiredId) await this.runtime.removePodSandbox(this.retiredId);
      this.retiredId = undefined;
      return false;
    }
    await stopPodContainers(this, pod, id, graceSeconds);
    await this.runtime.stopPodSandbox(id);
    await this.runtime.removePodSandbox(id);
    if (this.retiredId) await this.runtime.removePodSandbox(this.retiredId);
    this.sandboxId = this.retiredId = undefined;
    this.ips = undefined;
    return true;
  }

  private remember(sandbox: PodSandboxStatus): void {
    const net = sandbox.network;
    this.ips = net ? [net.ip, ...(net.additionalIps ?? [])] : [];
  }
}
