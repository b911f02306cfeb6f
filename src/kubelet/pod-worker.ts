// One worker per pod on this node, as the kubelet's pod workers: each sync looks at the
// pod as the API has it and the containers as the runtime has them, takes the next step
// (volumes, sandbox, init containers and sidecars in order, containers, liveness kills,
// restarts with back-off, teardown), and reports the resulting status. Syncs of one pod
// never overlap; a change arriving during a sync causes one more sync after it.
//
// With a runtime that runs no processes (simulated), probes, lifecycle hooks and
// termination messages are skipped, as kwok does.
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { activeDeadline } from './active-deadline.js';
import { graceSeconds, stopContainerGracefully } from './container-stop.js';
import type { AdoptedPod } from './adoption.js';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, PodContainers, RETRY_MS } from './pod-containers.js';
import { buildPodStatus, statusChanged, type ContainerView } from './pod-status.js';
import { isSidecar, PodHealth } from './pod-health.js';
import { PodVolumeSetup } from './pod-volume-setup.js';
import { stopPodContainers, type PodStopDeps } from './pod-stop.js';
import { buildSandboxConfig } from './sandbox-config.js';
import type { ContainerStatus, PodSandboxConfig, PodSandboxStatus } from './runtime/types.js';
import type { PodWorkerDeps } from './pod-worker-deps.js';

export type { PodApi, PodWorkerDeps } from './pod-worker-deps.js';

/** Kubelet's restart back-off without resets: the first restart is at once, then 10 s doubling to 5 min. */
export function restartBackoffMs(restartCount: number): number {
  if (restartCount <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (restartCount - 1));
}

export class PodWorker {
  private pod: Pod | undefined;
  private sandboxId?: string;
  /** The current sandbox's addresses, once read. */
  private sandboxIPs?: string[];
  private readonly containers: PodContainers;
  private readonly volumes: PodVolumeSetup;
  private readonly health: PodHealth;
  private cleanedUp = false;
  private sidecarsStopped = false;
  private running = false;
  private dirty = false;
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;
  private finished = false;
  private deleting = false;
  private sandboxFailureLogged = false;
  private readonly now: () => number;
  /** Resolves when the current sync loop finishes (tests wait on it). */
  private idle: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    pod: Pod,
    private readonly deps: PodWorkerDeps,
    adopted?: AdoptedPod,
  ) {
    this.pod = pod;
    this.now = deps.now ?? Date.now;
    this.volumes = new PodVolumeSetup(deps, this.now, (ms) => this.later(ms));
    this.containers = new PodContainers(deps, this.now, {
      sandboxId: () => this.sandboxId,
      sandboxConfig: (pod) => this.sandboxConfig(pod),
      hookTarget: (c, id) => this.hookTarget(c, id),
      podIPs: () => this.podIPs(),
      kill: (pod, c, id, grace, message) => this.killContainer(pod, c, id, grace, message),
    });
    this.health = new PodHealth({
      runtime: deps.runtime, now: this.now, containers: this.containers,
      currentPod: () => this.pod,
      event: deps.event,
      changed: () => this.kick(),
      kill: (pod, c, id, grace, message) => this.killContainer(pod, c, id, grace, message),
    });
    if (adopted) {
      this.sandboxId = adopted.sandboxId;
      this.containers.adopt(adopted.containers);
      deps.onSandbox?.(this, adopted.sandboxId);
    }
  }

  get uid(): string | undefined {
    return this.pod?.metadata?.uid;
  }

  /** The newest pod from the API; undefined once it is gone. */
  update(pod: Pod | undefined): void {
    this.pod = pod;
    this.kick();
  }

  /** Something in the runtime changed (a container exited), or a probe result did. */
  kick(): void {
    if (this.finished) return;
    this.dirty = true;
    if (!this.running) this.idle = this.loop();
  }

  /** Resolves once no sync is running or pending. */
  async settled(): Promise<void> {
    while (this.running) await this.idle;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.health.stopAll();
    this.finished = true;
  }

  /** Wakes the worker at `ms` from now, unless an earlier wake-up is already set. */
  private later(ms: number): void {
    const due = this.now() + Math.max(0, ms);
    if (this.timer && due >= this.timerDue && this.timerDue > this.now()) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timerDue = Infinity;
      this.kick();
    }, Math.max(0, ms));
    this.timer.unref?.();
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.finished) {
        if (this.deps.paused?.()) break;
        this.dirty = false;
        try {
          await this.sync();
        } catch (err) {
          this.deps.log.warn('pod sync failed', { pod: this.key, error: (err as Error).message });
          this.later(RETRY_MS);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async sync(): Promise<void> {
    const pod = this.pod;
    if (!pod) {
      await this.teardown(undefined, 0);
      this.finished = true;
      clearTimeout(this.timer);
      this.deps.onFinished(this);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      if (this.deleting) return;
      await this.teardown(pod, pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 0);
      this.deleting = true;
      try {
        await this.deps.api.deletePod(pod);
      } catch (err) {
        this.deleting = false;
        throw err;
      }
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished pods keep their status; their sandbox (and its IP) is released.
      await this.stopSandbox();
      return;
    }
    const deadline = activeDeadline(pod, this.now());
    if (deadline.exceeded) return this.failPod(pod, deadline.reason, deadline.message);
    if (deadline.inMs !== undefined) this.later(deadline.inMs);
    const status = await this.step(pod);
    if (statusChanged(status, pod.status)) await this.deps.api.writeStatus(pod, status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') await this.stopSandbox();
  }

  /** The pod as a whole has failed (activeDeadlineSeconds): its containers stop and it turns Failed with the reason. */
  private async failPod(pod: Pod, reason: string, message: string): Promise<void> {
    this.deps.event?.(pod, 'Normal', reason, message);
    this.health.stopAll();
    const rt = this.deps.runtime;
    const byId = new Map<string, ContainerStatus>();
    let sandbox: PodSandboxStatus | undefined;
    if (this.sandboxId) {
      await stopPodContainers(this.stopDeps(), pod, this.sandboxId, graceSeconds(pod));
      for (const c of await rt.listContainers({ podSandboxId: this.sandboxId })) byId.set(c.id, c);
      sandbox = await rt.podSandboxStatus(this.sandboxId);
    }
    const status = buildPodStatus({
      pod, sandbox,
      init: (pod.spec?.initContainers ?? []).map((c) => this.containers.view(c, byId)),
      containers: (pod.spec?.containers ?? []).map((c) => this.containers.view(c, byId)),
      initDone: pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') ?? false,
      initFailed: false, hostIP: this.deps.hostIP, runtimeName: this.deps.runtimeName, now: this.now(),
    });
    await this.deps.api.writeStatus(pod, { ...status, phase: 'Failed', reason, message });
    await this.stopSandbox();
  }

  private get runsProcesses(): boolean {
    return this.deps.runtime.runsProcesses;
  }

  /** Moves the pod one step on and returns the status that results. */
  private async step(pod: Pod): Promise<PodStatus> {
    const rt = this.deps.runtime;
    const spec = pod.spec!;
    let sandbox: PodSandboxStatus | undefined;
    // An adopted sandbox still gets its volumes prepared: that is idempotent, and this
    // run's volume manager learns of them (ConfigMap updates, teardown).
    if ((await this.volumes.ready(pod)) && !this.sandboxId) {
      try {
        this.sandboxId = await rt.runPodSandbox(this.sandboxConfig(pod));
        this.deps.onSandbox?.(this, this.sandboxId);
      } catch (err) {
        // Said once per pod: waiting for the node's pod CIDR is routine right after registration.
        if (!this.sandboxFailureLogged) this.deps.log.warn('pod sandbox not created; retrying', { pod: this.key, error: (err as Error).message });
        this.sandboxFailureLogged = true;
        this.later(RETRY_MS);
      }
    }
    if (this.sandboxId) {
      sandbox = await rt.podSandboxStatus(this.sandboxId);
      this.remember(sandbox);
    }
    const byId = new Map<string, ContainerStatus>();
    if (this.sandboxId) for (const c of await rt.listContainers({ podSandboxId: this.sandboxId })) byId.set(c.id, c);
    if (this.runsProcesses) await this.health.killUnhealthy(pod, byId);

    const policy = spec.restartPolicy ?? 'Always';
    const initContainers = spec.initContainers ?? [];
    let nextWake = Infinity;
    const wake = (t: number) => (nextWake = Math.min(nextWake, t));
    const { init, blocked, initFailed } = await this.stepInit(pod, !sandbox, byId, wake);
    const initDone = !blocked && !initFailed;
    const containers: ContainerView[] = [];
    for (const c of spec.containers ?? []) {
      const view = this.containers.view(c, byId);
      containers.push(view);
      if (!initDone) continue;
      const cur = view.current;
      if (!cur) wake(await this.containers.start(pod, c, view, byId));
      else if (cur.state === 'CONTAINER_EXITED') {
        const restart = policy === 'Always' || (policy === 'OnFailure' && cur.exitCode !== 0) || (policy !== 'Never' && this.containers.willRestartAtOnce(cur.id));
        if (restart) wake(await this.containers.restartLater(pod, c, view, byId));
      }
    }
    if (initDone && policy !== 'Always' && containers.length && containers.every((v) => this.finishedForGood(v, policy))) {
      await this.stopSidecars(pod, initContainers, init, byId);
    }
    if (this.runsProcesses) await this.annotate(pod, [...initContainers, ...(spec.containers ?? [])], [...init, ...containers], sandbox);
    if (nextWake !== Infinity) this.later(nextWake - this.now());
    return buildPodStatus({
      pod, sandbox, init, containers, initDone, initFailed,
      hostIP: this.deps.hostIP, runtimeName: this.deps.runtimeName, now: this.now(),
    });
  }

  /**
   * Init containers in order: each regular one runs to completion before the next starts;
   * a sidecar only has to have started. Once the containers have started, initialization
   * is over for this sandbox and only exited sidecars are restarted.
   */
  private async stepInit(pod: Pod, noSandbox: boolean, byId: Map<string, ContainerStatus>, wake: (t: number) => void) {
    const spec = pod.spec!;
    const policy = spec.restartPolicy ?? 'Always';
    const mainsStarted = (spec.containers ?? []).some((c) => this.containers.created(c.name));
    let blocked = noSandbox;
    let initFailed = false;
    const init: ContainerView[] = [];
    for (const c of spec.initContainers ?? []) {
      const view = this.containers.view(c, byId);
      init.push(view);
      if (blocked || initFailed) continue;
      const cur = view.current;
      if (isSidecar(c)) {
        if (!cur) wake(await this.containers.start(pod, c, view, byId));
        else if (cur.state === 'CONTAINER_EXITED' && !this.sidecarsStopped) wake(await this.containers.restartLater(pod, c, view, byId));
        if (!mainsStarted && !this.health.started(c, view.current)) blocked = true;
        continue;
      }
      if (mainsStarted) continue;
      if (cur?.state === 'CONTAINER_EXITED' && cur.exitCode === 0) continue;
      blocked = true;
      if (!cur) {
        wake(await this.containers.start(pod, c, view, byId));
      } else if (cur.state === 'CONTAINER_EXITED') {
        // A failed init container: the pod fails with Never, else the container is retried.
        if (policy === 'Never') initFailed = true;
        else wake(await this.containers.restartLater(pod, c, view, byId));
      }
    }
    return { init, blocked, initFailed };
  }

  /** A container that exited and will not be restarted. */
  private finishedForGood(v: ContainerView, policy: string): boolean {
    const cur = v.current;
    if (cur?.state !== 'CONTAINER_EXITED') return false;
    if (policy === 'Never') return true;
    return cur.exitCode === 0 && !this.containers.willRestartAtOnce(cur.id);
  }

  /** The main containers are done for good: the sidecars are stopped, the last first. */
  private async stopSidecars(pod: Pod, specs: Container[], views: ContainerView[], byId: Map<string, ContainerStatus>): Promise<void> {
    this.sidecarsStopped = true;
    for (let i = specs.length - 1; i >= 0; i--) {
      const c = specs[i]!;
      const cur = views[i]!.current;
      if (!isSidecar(c) || cur?.state !== 'CONTAINER_RUNNING') continue;
      await this.killContainer(pod, c, cur.id, graceSeconds(pod), `Stopping container ${c.name}`);
      const st = await this.deps.runtime.containerStatus(cur.id);
      byId.set(st.id, st);
      views[i]!.current = st;
    }
  }

  private stopDeps(): PodStopDeps {
    return { runtime: this.deps.runtime, now: this.now, kill: (pod, c, id, grace, message) => this.killContainer(pod, c, id, grace, message) };
  }

  private killContainer(pod: Pod | undefined, c: Container | undefined, id: string, graceSeconds: number, message: string): Promise<void> {
    return stopContainerGracefully({
      runtime: this.deps.runtime, now: this.now, hookTarget: (ct, cid) => this.hookTarget(ct, cid),
      event: this.deps.event ? (p, type, reason, msg) => this.deps.event!(p, type, reason, msg) : undefined,
    }, pod, c, id, graceSeconds, message);
  }

  private async hookTarget(c: Container, id: string) {
    const podIP = (await this.podIPs().catch(() => []))[0] ?? '';
    return { runtime: this.deps.runtime, containerId: id, container: c, podIP };
  }

  /** The sandbox's addresses, which do not change while it lives: read from the runtime once. */
  private async podIPs(): Promise<string[]> {
    if (!this.sandboxId) return [];
    if (!this.sandboxIPs) this.remember(await this.deps.runtime.podSandboxStatus(this.sandboxId));
    return this.sandboxIPs ?? [];
  }

  private remember(sandbox: PodSandboxStatus): void {
    const net = sandbox.network;
    this.sandboxIPs = net ? [net.ip, ...(net.additionalIps ?? [])] : [];
  }

  /** Readiness and startup from the probes, and termination messages, on the views. */
  private async annotate(pod: Pod, specs: Container[], views: ContainerView[], sandbox: PodSandboxStatus | undefined): Promise<void> {
    this.health.sync(pod, specs, views, sandbox);
    for (let i = 0; i < specs.length; i++) {
      const c = specs[i]!;
      const v = views[i]!;
      if (v.current?.state === 'CONTAINER_EXITED') v.current = await this.containers.withMessage(pod, c, v.current);
      if (v.previous?.state === 'CONTAINER_EXITED') v.previous = await this.containers.withMessage(pod, c, v.previous);
    }
  }

  private sandboxConfig(pod: Pod): PodSandboxConfig {
    return buildSandboxConfig(pod, this.deps.sandbox);
  }

  private async stopSandbox(): Promise<void> {
    this.health.stopAll();
    if (!this.sandboxId) return;
    await this.deps.runtime.stopPodSandbox(this.sandboxId);
  }

  /**
   * Stops every container within the grace period — preStop hooks first, the containers
   * in parallel, sidecars after them — then removes the sandbox and what preparePod set up.
   */
  private async teardown(pod: Pod | undefined, graceSeconds: number): Promise<void> {
    this.health.stopAll();
    const id = this.sandboxId;
    const uid = pod?.metadata?.uid ?? this.uid;
    if (id) {
      const rt = this.deps.runtime;
      await stopPodContainers(this.stopDeps(), pod, id, graceSeconds);
      await rt.stopPodSandbox(id);
      await rt.removePodSandbox(id);
      this.sandboxId = undefined;
      this.sandboxIPs = undefined;
      this.containers.clear();
      this.deps.onSandbox?.(this, undefined);
    }
    if (uid) this.containers.puller.forget(uid);
    if (uid && this.deps.cleanupPod && !this.cleanedUp) {
      await this.deps.cleanupPod(uid);
      this.cleanedUp = true;
    }
  }
}
