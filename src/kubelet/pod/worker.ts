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
import { graceSeconds } from '../container/stop.js';
import type { AdoptedPod } from './adoption.js';
import { PodContainers, RETRY_MS } from './containers.js';
import { PodHealth } from './health.js';
import { PodLifecycle } from './lifecycle.js';
import { PodSandbox } from './sandbox.js';
import { buildPodStatus, statusChanged, type ContainerView } from './status.js';
import { SyncLoop } from './sync-loop.js';
import { isOwnStatusEcho } from './status-echo.js';
import { PodVolumeSetup } from './volume-setup.js';
import type { PodSyncDeps } from './worker-deps.js';
import type { ContainerStatus, PodSandboxStatus } from '../runtime/types.js';
import { isSidecar } from '../container/sidecar.js';
import { fairTurn } from '../../util/turns.js';

export type { PodApi } from './worker-deps.js';

/** What a pod worker needs from the node agent: what its steps need, and the agent's callbacks. */
export interface PodWorkerDeps extends PodSyncDeps {
  /** Called once the pod is gone from the API and its sandbox removed. */
  onFinished(worker: PodWorker): void;
  onSandbox?(worker: PodWorker, sandboxId: string | undefined): void;
  /** While true the worker holds still (a node cut off from the API); kick() it when that ends. */
  paused?(): boolean;
  /** A sync went through; `running`: neither terminating nor finished, so periodic resyncs apply (resync.ts). */
  onSynced?(worker: PodWorker, running: boolean): void;
}

export class PodWorker {
  private pod: Pod | undefined;
  private readonly lifecycle = new PodLifecycle();
  private readonly loop: SyncLoop;
  private readonly sandbox: PodSandbox;
  private readonly containers: PodContainers;
  private readonly volumes: PodVolumeSetup;
  private readonly health: PodHealth;
  private readonly now: () => number;
  /** The status this worker last wrote, to know its echo on the watch. */
  private written?: PodStatus;
  /** Succeeded or Failed: as a terminated pod in the kubelet, it is not resynced. */
  private finished = false;

  constructor(
    readonly key: string,
    pod: Pod,
    private readonly deps: PodWorkerDeps,
    adopted?: AdoptedPod,
  ) {
    this.pod = pod;
    this.now = deps.now ?? Date.now;
    this.loop = new SyncLoop({ sync: () => this.syncOnce(), now: this.now, paused: deps.paused });
    this.sandbox = new PodSandbox(key, deps, this.now);
    this.volumes = new PodVolumeSetup(deps, this.now, this.loop);
    this.containers = new PodContainers(deps, this.sandbox);
    this.health = new PodHealth({ sandbox: this.sandbox, containers: this.containers, loop: this.loop, event: deps.event });
    if (adopted) {
      this.sandbox.adopt(adopted.sandboxId);
      this.containers.adopt(adopted.containers);
      deps.onSandbox?.(this, adopted.sandboxId);
    }
  }

  get uid(): string | undefined {
    return this.pod?.metadata?.uid;
  }

  /** The newest pod from the API; undefined once it is gone. Its own status write coming back causes no sync. */
  update(pod: Pod | undefined): void {
    const old = this.pod;
    this.pod = pod;
    if (isOwnStatusEcho(old, pod, this.written)) return;
    this.kick();
  }

  /** Something in the runtime changed (a container exited), or a probe result did. */
  kick(): void {
    this.loop.kick();
  }

  /** Resolves once no sync is running or pending. */
  settled(): Promise<void> {
    return this.loop.settled();
  }

  /** The agent stops: the worker holds still and leaves the pod running (a next agent adopts it). */
  stop(): void {
    this.loop.stop();
    this.health.stopAll();
  }

  private async syncOnce(): Promise<void> {
    try {
      await this.sync();
      this.deps.onSynced?.(this, this.lifecycle.state === 'syncing' && !this.finished);
    } catch (err) {
      this.deps.log.warn('pod sync failed', { pod: this.key, error: (err as Error).message });
      this.loop.later(RETRY_MS);
    }
  }

  /** One sync: what it does follows from the lifecycle state (see lifecycle.ts). */
  private async sync(): Promise<void> {
    const pod = this.pod;
    const status = this.lifecycle.observe(pod);
    if (status.state === 'syncing') return this.syncRunning(pod!);
    if (status.state === 'terminating') {
      await this.teardown(pod, status.graceSeconds);
      this.lifecycle.terminated();
    }
    if (!pod) {
      this.loop.stop();
      this.deps.onFinished(this);
      return;
    }
    if (this.lifecycle.status.state === 'terminated' && !this.lifecycle.status.apiDeleted) {
      await this.deps.api.deletePod(pod);
      this.lifecycle.apiDeleted();
    }
  }

  private async syncRunning(pod: Pod): Promise<void> {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished pods keep their status; their sandbox (and its IP) is released.
      await this.stopSandbox();
      return;
    }
    const deadline = activeDeadline(pod, this.now());
    if (deadline.exceeded) return this.failPod(pod, deadline.reason, deadline.message);
    if (deadline.inMs !== undefined) this.loop.later(deadline.inMs);
    // A node agent serving a hundred simulated nodes may get thousands of pods bound at once.
    await fairTurn();
    const status = await this.step(pod);
    if (statusChanged(status, pod.status)) {
      const running = status.phase === 'Running';
      if (running) this.deps.startTiming?.mark(pod, 'statusWriteStarted');
      // Known before the write returns: its echo on the watch may come first.
      this.written = status;
      await this.deps.api.writeStatus(pod, status);
      if (running) this.deps.startTiming?.mark(pod, 'statusWritten');
      // The deadline counts from the startTime just written; its echo brings no sync to set the timer.
      if (!pod.status?.startTime && status.startTime) {
        const d = activeDeadline({ ...pod, status }, this.now());
        if (d.exceeded) this.loop.later(0);
        else if (d.inMs !== undefined) this.loop.later(d.inMs);
      }
    }
    if (status.phase === 'Succeeded' || status.phase === 'Failed') await this.stopSandbox();
  }

  /** The pod as a whole has failed (activeDeadlineSeconds): its containers stop and it turns Failed with the reason. */
  private async failPod(pod: Pod, reason: string, message: string): Promise<void> {
    this.deps.event?.(pod, 'Normal', reason, message);
    this.health.stopAll();
    const rt = this.deps.runtime;
    const byId = new Map<string, ContainerStatus>();
    let sandbox: PodSandboxStatus | undefined;
    if (this.sandbox.id) {
      await this.sandbox.stopContainers(pod, graceSeconds(pod));
      for (const c of await rt.listContainers({ podSandboxId: this.sandbox.id })) byId.set(c.id, c);
      sandbox = await rt.podSandboxStatus(this.sandbox.id);
    }
    const status = buildPodStatus({
      pod,
      sandbox,
      init: (pod.spec?.initContainers ?? []).map((c) => this.containers.view(c, byId)),
      containers: (pod.spec?.containers ?? []).map((c) => this.containers.view(c, byId)),
      initDone: pod.status?.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') ?? false,
      initFailed: false,
      hostIP: this.deps.hostIP,
      runtimeName: this.deps.runtimeName,
      now: this.now(),
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
    // One look at the sandbox per sync: whether it died, and (if not) its addresses for the status.
    let sandbox = this.sandbox.id ? await this.sandbox.status() : undefined;
    if (sandbox && this.sandbox.diedBy(sandbox)) {
      await this.replaceSandbox(pod);
      sandbox = undefined;
    }
    // An adopted sandbox still gets its volumes prepared: that is idempotent, and this
    // run's volume manager learns of them (ConfigMap updates, teardown).
    const timing = this.deps.startTiming;
    const volumesReady = await this.volumes.ready(pod);
    if (volumesReady) timing?.mark(pod, 'volumesReady');
    if (volumesReady && !this.sandbox.id && this.mayCreateSandbox(pod)) {
      timing?.mark(pod, 'sandboxRequested');
      if (await this.sandbox.create(pod)) {
        timing?.mark(pod, 'sandboxReady');
        this.deps.onSandbox?.(this, this.sandbox.id);
        sandbox = await this.sandbox.status();
      } else this.loop.later(RETRY_MS);
    }
    const byId = new Map<string, ContainerStatus>();
    for (const id of this.sandbox.ids) for (const c of await rt.listContainers({ podSandboxId: id })) byId.set(c.id, c);
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
        const restart =
          policy === 'Always' || (policy === 'OnFailure' && cur.exitCode !== 0) || (policy !== 'Never' && this.containers.willRestartAtOnce(cur.id));
        if (restart) wake(await this.containers.restartLater(pod, c, view, byId));
      }
    }
    const ephemeral = await this.stepEphemeral(pod, !!sandbox, byId, wake);
    if (initDone && policy !== 'Always' && containers.length && containers.every((v) => this.finishedForGood(v, policy))) {
      await this.stopSidecars(pod, initContainers, init, byId);
    }
    if (this.runsProcesses) await this.annotate(pod, [...initContainers, ...(spec.containers ?? [])], [...init, ...containers], sandbox);
    if (nextWake !== Infinity) this.loop.later(nextWake - this.now());
    return buildPodStatus({
      pod,
      sandbox,
      init,
      containers,
      ephemeral,
      initDone,
      initFailed,
      hostIP: this.deps.hostIP,
      runtimeName: this.deps.runtimeName,
      now: this.now(),
    });
  }

  /**
   * Ephemeral (debug) containers, as the kubelet runs them: started once in the running
   * sandbox, whether or not initialization is over, and never restarted. One with a
   * targetContainerName joins that container's PID namespace, so it waits for it to exist.
   */
  private async stepEphemeral(pod: Pod, hasSandbox: boolean, byId: Map<string, ContainerStatus>, wake: (t: number) => void): Promise<ContainerView[]> {
    const views: ContainerView[] = [];
    for (const ec of pod.spec?.ephemeralContainers ?? []) {
      const c = ec as Container;
      const view = this.containers.view(c, byId);
      views.push(view);
      if (!hasSandbox || this.containers.attempted(c.name)) continue;
      let target: string | undefined;
      if (ec.targetContainerName) {
        target = this.containers.currentId(ec.targetContainerName);
        if (!target || !this.containers.created(ec.targetContainerName)) {
          wake(this.now() + RETRY_MS);
          continue;
        }
      }
      wake(await this.containers.start(pod, c, view, byId, target));
    }
    return views;
  }

  /**
   * The pod's sandbox died under it (its pause process killed, the node's runtime lost it):
   * as the kubelet, what is left is killed and a new sandbox replaces it; its containers
   * are then restarted per the restart policy, counting on from the killed ones.
   */
  private async replaceSandbox(pod: Pod): Promise<void> {
    this.deps.event?.(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
    this.deps.log.info('pod sandbox is not ready; replacing it', { pod: this.key, sandbox: this.sandbox.id });
    this.health.stopAll();
    await this.sandbox.retire(pod, graceSeconds(pod));
    this.containers.sandboxReplaced();
    this.deps.onSandbox?.(this, undefined);
  }

  /** A pod with restartPolicy Never whose containers ran gets no second sandbox (nothing would run in it). */
  private mayCreateSandbox(pod: Pod): boolean {
    return (pod.spec?.restartPolicy ?? 'Always') !== 'Never' || !this.containers.anyCreated();
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
    const status = this.lifecycle.status;
    const sidecarsStopped = status.state === 'syncing' && status.sidecarsStopped;
    let blocked = noSandbox;
    let initFailed = false;
    const init: ContainerView[] = [];
    for (const c of spec.initContainers ?? []) {
      const view = this.containers.view(c, byId);
      init.push(view);
      if (blocked || initFailed) continue;
      // A new sandbox initializes again: what ran in a dead one does not count.
      const cur = view.current?.podSandboxId === this.sandbox.id ? view.current : undefined;
      if (isSidecar(c)) {
        if (!cur) wake(await this.containers.start(pod, c, view, byId));
        else if (cur.state === 'CONTAINER_EXITED' && !sidecarsStopped) wake(await this.containers.restartLater(pod, c, view, byId));
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
    this.lifecycle.sidecarsStopped();
    for (let i = specs.length - 1; i >= 0; i--) {
      const c = specs[i]!;
      const cur = views[i]!.current;
      if (!isSidecar(c) || cur?.state !== 'CONTAINER_RUNNING') continue;
      await this.sandbox.kill(pod, c, cur.id, graceSeconds(pod), `Stopping container ${c.name}`);
      const st = await this.deps.runtime.containerStatus(cur.id);
      byId.set(st.id, st);
      views[i]!.current = st;
    }
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

  private async stopSandbox(): Promise<void> {
    this.finished = true;
    this.health.stopAll();
    await this.sandbox.stop();
  }

  /**
   * Stops every container within the grace period — preStop hooks first, the containers
   * in parallel, sidecars after them — then removes the sandbox and what preparePod set up.
   */
  private async teardown(pod: Pod | undefined, graceSeconds: number): Promise<void> {
    this.health.stopAll();
    const uid = pod?.metadata?.uid ?? this.uid;
    if (await this.sandbox.remove(pod, graceSeconds)) {
      this.containers.clear();
      this.deps.onSandbox?.(this, undefined);
    }
    if (uid) this.containers.puller.forget(uid);
    if (uid) await this.deps.cleanupPod?.(uid);
  }
}
