// One worker per pod on this node, as the kubelet's pod workers: each sync looks at the
// pod as the API has it and the containers as the runtime has them, takes the next step
// (sandbox, init containers in order, containers, restarts with back-off, teardown), and
// reports the resulting status. Syncs of one pod never overlap; a change arriving during
// a sync causes one more sync after it.
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../cli/log.js';
import { buildPodStatus, statusChanged, type ContainerView } from './pod-status.js';
import { buildSandboxConfig, containerLogPath, type SandboxConfigOptions } from './sandbox-config.js';
import { SIM_EXIT_CODE, SIM_RUN_SECONDS, type ContainerRuntime, type ContainerStatus, type PodSandboxConfig, type PodSandboxStatus } from './runtime/types.js';

/** How the worker reaches the API; the agent gives it a client-backed one. */
export interface PodApi {
  /** Writes the pod's status (pods/status). */
  writeStatus(pod: Pod, status: PodStatus): Promise<void>;
  /** Finishes a graceful deletion: DELETE with gracePeriodSeconds=0 and the pod's uid as precondition. */
  deletePod(pod: Pod): Promise<void>;
}

export interface PodWorkerDeps {
  runtime: ContainerRuntime;
  api: PodApi;
  hostIP: string;
  runtimeName: string;
  log: Logger;
  now?: () => number;
  /** Called once the pod is gone from the API and its sandbox removed. */
  onFinished(worker: PodWorker): void;
  onSandbox?(worker: PodWorker, sandboxId: string | undefined): void;
  /** While true the worker holds still (a node cut off from the API); kick() it when that ends. */
  paused?(): boolean;
  /** Pod events as the kubelet records them (Pulled, Created, Started, Killing, BackOff); none when absent. */
  event?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** How sandboxes are configured on this node (log dir, cluster DNS). */
  sandbox?: SandboxConfigOptions;
}

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
const RETRY_MS = 1000;

/** Kubelet's restart back-off: the first restart is at once, then 10 s doubling to 5 min. */
export function restartBackoffMs(restartCount: number): number {
  if (restartCount <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (restartCount - 1));
}

interface Record_ {
  ids: string[];
  restartCount: number;
}

export class PodWorker {
  private pod: Pod | undefined;
  private sandboxId?: string;
  private readonly records = new Map<string, Record_>();
  /** The exited container whose back-off was last announced, per container name. */
  private readonly backoffReported = new Map<string, string>();
  private running = false;
  private dirty = false;
  private timer?: NodeJS.Timeout;
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
  ) {
    this.pod = pod;
    this.now = deps.now ?? Date.now;
  }

  get uid(): string | undefined {
    return this.pod?.metadata?.uid;
  }

  /** The newest pod from the API; undefined once it is gone. */
  update(pod: Pod | undefined): void {
    this.pod = pod;
    this.kick();
  }

  /** Something in the runtime changed (a container exited). */
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
    this.finished = true;
  }

  private later(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), Math.max(0, ms));
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
      await this.teardown(0);
      this.finished = true;
      clearTimeout(this.timer);
      this.deps.onFinished(this);
      return;
    }
    if (pod.metadata?.deletionTimestamp) {
      if (this.deleting) return;
      await this.teardown(pod.metadata.deletionGracePeriodSeconds ?? 0);
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
    const status = await this.step(pod);
    if (statusChanged(status, pod.status)) await this.deps.api.writeStatus(pod, status);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') await this.stopSandbox();
  }

  /** Moves the pod one step on and returns the status that results. */
  private async step(pod: Pod): Promise<PodStatus> {
    const rt = this.deps.runtime;
    const spec = pod.spec!;
    let sandbox: PodSandboxStatus | undefined;
    if (!this.sandboxId) {
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
    if (this.sandboxId) sandbox = await rt.podSandboxStatus(this.sandboxId);
    const byId = new Map<string, ContainerStatus>();
    if (this.sandboxId) for (const c of await rt.listContainers({ podSandboxId: this.sandboxId })) byId.set(c.id, c);

    const policy = spec.restartPolicy ?? 'Always';
    const initContainers = spec.initContainers ?? [];
    let initDone = !!sandbox;
    let initFailed = false;
    const init: ContainerView[] = [];
    let nextWake = Infinity;
    for (const c of initContainers) {
      const view = this.view(c, byId);
      init.push(view);
      if (!initDone || initFailed) continue;
      const cur = view.current;
      if (cur?.state === 'CONTAINER_EXITED' && cur.exitCode === 0) continue;
      initDone = false;
      if (!cur) {
        await this.startContainer(pod, c, view, byId);
      } else if (cur.state === 'CONTAINER_EXITED') {
        // A failed init container: the pod fails with Never, else the container is retried.
        if (policy === 'Never') initFailed = true;
        else nextWake = Math.min(nextWake, await this.restartLater(pod, c, view, byId));
      }
    }
    const containers: ContainerView[] = [];
    for (const c of spec.containers ?? []) {
      const view = this.view(c, byId);
      containers.push(view);
      if (!initDone || initFailed) continue;
      const cur = view.current;
      if (!cur) await this.startContainer(pod, c, view, byId);
      else if (cur.state === 'CONTAINER_EXITED' && (policy === 'Always' || (policy === 'OnFailure' && cur.exitCode !== 0)))
        nextWake = Math.min(nextWake, await this.restartLater(pod, c, view, byId));
    }
    if (nextWake !== Infinity) this.later(nextWake - this.now());
    return buildPodStatus({
      pod, sandbox, init, containers, initDone: initDone && !initFailed, initFailed,
      hostIP: this.deps.hostIP, runtimeName: this.deps.runtimeName, now: this.now(),
    });
  }

  private view(c: Container, byId: Map<string, ContainerStatus>): ContainerView {
    const rec = this.records.get(c.name);
    const ids = rec?.ids ?? [];
    const current = ids.length ? byId.get(ids[ids.length - 1]!) : undefined;
    const previous = ids.length > 1 ? byId.get(ids[ids.length - 2]!) : undefined;
    return { name: c.name, image: c.image ?? '', current, previous, restartCount: rec?.restartCount ?? 0 };
  }

  /**
   * Restarts an exited container once its back-off has passed; until then the view
   * shows CrashLoopBackOff. Returns when to look again (Infinity: restarted now).
   */
  private async restartLater(pod: Pod, c: Container, view: ContainerView, byId: Map<string, ContainerStatus>): Promise<number> {
    const cur = view.current!;
    const wait = restartBackoffMs(view.restartCount);
    const due = Number(cur.finishedAt / 1_000_000n) + wait;
    if (wait > 0 && due > this.now()) {
      if (view.backoffUntil === undefined && this.backoffReported.get(c.name) !== cur.id) {
        this.backoffReported.set(c.name, cur.id);
        this.deps.event?.(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`);
      }
      view.backoffUntil = due;
      view.backoffSeconds = wait / 1000;
      return due;
    }
    const rec = this.records.get(c.name)!;
    rec.restartCount++;
    await this.startContainer(pod, c, view, byId);
    view.previous = cur;
    view.restartCount = rec.restartCount;
    return Infinity;
  }

  private async startContainer(pod: Pod, c: Container, view: ContainerView, byId: Map<string, ContainerStatus>): Promise<void> {
    const rt = this.deps.runtime;
    const rec = this.records.get(c.name) ?? { ids: [], restartCount: 0 };
    this.records.set(c.name, rec);
    const image = c.image ?? '';
    const present = await rt.imageStatus(image);
    if (!present) {
      this.deps.event?.(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
      await rt.pullImage(image);
      this.deps.event?.(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}"`);
    } else this.deps.event?.(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    const id = await rt.createContainer(this.sandboxId!, {
      metadata: { name: c.name, attempt: rec.restartCount },
      image: { image: c.image ?? '' },
      command: c.command,
      args: c.args,
      labels: {
        'io.kubernetes.pod.name': pod.metadata!.name!, 'io.kubernetes.pod.namespace': pod.metadata!.namespace!,
        'io.kubernetes.pod.uid': pod.metadata!.uid!, 'io.kubernetes.container.name': c.name,
      },
      annotations: simulationAnnotations(pod),
      logPath: containerLogPath(c.name, rec.restartCount),
    }, this.sandboxConfig(pod));
    // Old attempts beyond the previous one are of no further use (kubelet keeps one dead container).
    rec.ids.push(id);
    while (rec.ids.length > 2) await rt.removeContainer(rec.ids.shift()!);
    this.deps.event?.(pod, 'Normal', 'Created', `Created container ${c.name}`);
    await rt.startContainer(id);
    this.deps.event?.(pod, 'Normal', 'Started', `Started container ${c.name}`);
    const st = await rt.containerStatus(id);
    byId.set(id, st);
    view.current = st;
  }

  private sandboxConfig(pod: Pod): PodSandboxConfig {
    return buildSandboxConfig(pod, this.deps.sandbox);
  }

  private async stopSandbox(): Promise<void> {
    if (!this.sandboxId) return;
    await this.deps.runtime.stopPodSandbox(this.sandboxId);
  }

  /** Stops every container (within the grace period) and removes the sandbox. */
  private async teardown(graceSeconds: number): Promise<void> {
    const id = this.sandboxId;
    if (!id) return;
    const rt = this.deps.runtime;
    for (const c of await rt.listContainers({ podSandboxId: id })) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      if (this.pod) this.deps.event?.(this.pod, 'Normal', 'Killing', `Stopping container ${c.metadata.name}`);
      await rt.stopContainer(c.id, graceSeconds);
    }
    await rt.stopPodSandbox(id);
    await rt.removePodSandbox(id);
    this.sandboxId = undefined;
    this.records.clear();
    this.deps.onSandbox?.(this, undefined);
  }
}

/**
 * kwok's default stages: containers of pods that are meant to finish (restartPolicy Never
 * or OnFailure) exit 0 after about a second; others run until stopped. The pod's own
 * annotations override both.
 */
export function simulationAnnotations(pod: Pod): Record<string, string> {
  const ann = pod.metadata?.annotations ?? {};
  const finishes = (pod.spec?.restartPolicy ?? 'Always') !== 'Always';
  const out: Record<string, string> = {};
  const run = ann[SIM_RUN_SECONDS] ?? (finishes || ann[SIM_EXIT_CODE] !== undefined ? '1' : undefined);
  if (run !== undefined) out[SIM_RUN_SECONDS] = run;
  if (ann[SIM_EXIT_CODE] !== undefined) out[SIM_EXIT_CODE] = ann[SIM_EXIT_CODE];
  return out;
}
