// The containers of one pod's sandbox, attempt by attempt: pulling, configuring, creating
// and starting each (with its postStart hook), restarting exited ones after the restart
// back-off (reset after ten quiet minutes), and what to report while an attempt cannot be
// made (ErrImagePull, ImagePullBackOff, CreateContainerConfigError…). The pod worker
// decides which container to start when; this decides how.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Backoff } from '../container/backoff.js';
import { baseContainerConfig, mergeContainerConfig } from '../container/base-config.js';
import { graceSeconds } from '../container/stop.js';
import { ImagePuller } from '../container/image-puller.js';
import { runLifecycleHook } from '../container/lifecycle-hooks.js';
import { PullSecretsError } from '../container/pull-secrets.js';
import type { ContainerView } from './status.js';
import type { PodSyncDeps } from './worker-deps.js';
import type { ContainerConfig, ContainerStatus, PullAuth } from '../runtime/types.js';
import type { SandboxOps } from './sandbox-ops.js';
import { terminationMessage } from '../container/termination-message.js';

export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** How soon a failed step (config, create) is first retried; it doubles to RETRY_MAX_MS. */
export const RETRY_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Kubelet's restart back-off without resets: the first restart is at once, then 10 s doubling to 5 min. */
export function restartBackoffMs(restartCount: number): number {
  if (restartCount <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (restartCount - 1));
}

interface Record_ {
  ids: string[];
  /** Containers created for this name in this sandbox; the restart count is one less. */
  attempts: number;
}

const nsToMs = (ns: bigint) => Number(ns / 1_000_000n);
const podRef = (pod: Pod) => `${pod.metadata!.name}_${pod.metadata!.namespace}(${pod.metadata!.uid})`;

export class PodContainers {
  private readonly records = new Map<string, Record_>();
  /** The exited container whose back-off was last announced, per container name. */
  private readonly backoffReported = new Map<string, string>();
  /** Why a container could not be created, per name, until it is: its waiting reason. */
  private readonly waiting = new Map<string, { reason: string; message: string; retryAt: number }>();
  /**
   * Termination messages of exited containers, by container id: read once per verdict of the
   * runtime, which may change its reason later (Error, then OOMKilled once the OOM event is in).
   */
  private readonly messages = new Map<string, { verdict: string; message: string | undefined }>();
  /** Containers killed for failing liveness/startup: restarted at once, without back-off. */
  private readonly killedForRestart = new Set<string>();
  /** The exited container whose restart has taken its back-off step, per container name. */
  private readonly backoffCounted = new Map<string, string>();
  private readonly restartBackoff: Backoff;
  private readonly retryBackoff: Backoff;
  readonly puller: ImagePuller;

  private readonly now: () => number;

  constructor(
    private readonly deps: PodSyncDeps,
    /** The sandbox the containers are created in. */
    private readonly sandbox: SandboxOps,
  ) {
    const now = (this.now = () => sandbox.now());
    const b = deps.backoff ?? {};
    this.restartBackoff = new Backoff(b.restartInitialMs ?? BACKOFF_INITIAL_MS, b.restartMaxMs ?? BACKOFF_MAX_MS, now);
    this.retryBackoff = new Backoff(RETRY_MS, RETRY_MAX_MS, now);
    this.puller = new ImagePuller(
      deps.runtime,
      new Backoff(b.imageInitialMs ?? BACKOFF_INITIAL_MS, b.imageMaxMs ?? BACKOFF_MAX_MS, now),
      (p, type, reason, message) => deps.event?.(p, type, reason, message),
      now,
    );
  }

  /** Names with an attempt created in the current sandbox (a replaced sandbox starts over). */
  private readonly inSandbox = new Set<string>();

  /** Whether any attempt of this container was created in the current sandbox. */
  created(name: string): boolean {
    return this.inSandbox.has(name);
  }

  /** Whether this container was ever created, in any sandbox (an ephemeral container runs once). */
  attempted(name: string): boolean {
    return (this.records.get(name)?.attempts ?? 0) > 0;
  }

  /** Whether any container of the pod was ever created, in any of its sandboxes. */
  anyCreated(): boolean {
    return [...this.records.values()].some((r) => r.attempts > 0);
  }

  /**
   * The sandbox died and a new one replaces it: the attempts go on (restart counts grow,
   * the killed containers become the last states), but nothing has run in the new one yet.
   */
  sandboxReplaced(): void {
    this.inSandbox.clear();
  }

  /** The newest attempt's id. */
  currentId(name: string): string | undefined {
    const ids = this.records.get(name)?.ids ?? [];
    return ids[ids.length - 1];
  }

  /** A container about to be killed for failing a probe: it restarts without back-off. */
  markForRestart(containerId: string): void {
    this.killedForRestart.add(containerId);
  }

  willRestartAtOnce(containerId: string): boolean {
    return this.killedForRestart.has(containerId);
  }

  /**
   * Containers a previous run of the agent created in the sandbox this worker adopted:
   * their attempts continue where they were, so restart counts and ids stay as they were.
   */
  adopt(containers: ContainerStatus[]): void {
    const byName = new Map<string, ContainerStatus[]>();
    for (const c of containers) byName.set(c.metadata.name, [...(byName.get(c.metadata.name) ?? []), c]);
    for (const [name, list] of byName) {
      list.sort((a, b) => a.metadata.attempt - b.metadata.attempt || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      this.records.set(name, { ids: list.map((c) => c.id), attempts: list[list.length - 1]!.metadata.attempt + 1 });
      this.inSandbox.add(name);
    }
  }

  /** The sandbox is gone: so are its containers. */
  clear(): void {
    this.records.clear();
    this.inSandbox.clear();
    this.messages.clear();
    this.killedForRestart.clear();
  }

  async withMessage(pod: Pod, c: Container, st: ContainerStatus): Promise<ContainerStatus> {
    const verdict = `${st.reason ?? ''}\n${st.message ?? ''}`;
    if (this.messages.get(st.id)?.verdict !== verdict) {
      let fileContent: string | undefined;
      try {
        fileContent = await this.deps.terminationMessage?.(pod, c, st);
      } catch (err) {
        this.deps.log.warn('termination message not read', {
          pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
          container: c.name,
          error: (err as Error).message,
        });
      }
      const message = await terminationMessage({
        fileContent,
        policy: c.terminationMessagePolicy,
        exitCode: st.exitCode,
        runtimeReason: st.reason,
        runtimeMessage: st.message,
        logPath: st.logPath,
      });
      this.messages.set(st.id, { verdict, message });
    }
    const message = this.messages.get(st.id)?.message;
    return message === st.message ? st : { ...st, message };
  }

  view(c: Container, byId: Map<string, ContainerStatus>): ContainerView {
    const rec = this.records.get(c.name);
    const ids = rec?.ids ?? [];
    const current = ids.length ? byId.get(ids[ids.length - 1]!) : undefined;
    const previous = ids.length > 1 ? byId.get(ids[ids.length - 2]!) : undefined;
    const w = this.waiting.get(c.name);
    return {
      name: c.name,
      image: c.image ?? '',
      current,
      previous,
      restartCount: Math.max(0, (rec?.attempts ?? 0) - 1),
      ...(w ? { waitingReason: w.reason, waitingMessage: w.message } : {}),
    };
  }

  /**
   * Restarts an exited container once its back-off has passed; until then the view
   * shows CrashLoopBackOff. Returns when to look again (Infinity: nothing to wait for).
   */
  async restartLater(pod: Pod, c: Container, view: ContainerView, byId: Map<string, ContainerStatus>): Promise<number> {
    const cur = view.current!;
    if (!this.killedForRestart.has(cur.id)) {
      const finished = nsToMs(cur.finishedAt);
      const until = this.backoffCounted.get(c.name) === cur.id ? undefined : this.restartBackoff.until(c.name, finished);
      if (until !== undefined) {
        if (this.backoffReported.get(c.name) !== cur.id) {
          this.backoffReported.set(c.name, cur.id);
          this.deps.event?.(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef(pod)}`);
        }
        view.backoffUntil = until;
        view.backoffSeconds = this.restartBackoff.get(c.name) / 1000;
        return until;
      }
      // One back-off step per exit, however many tries its restart takes (image pulls failing).
      if (this.backoffCounted.get(c.name) !== cur.id) {
        this.backoffCounted.set(c.name, cur.id);
        this.restartBackoff.next(c.name, finished);
      }
    }
    const wake = await this.start(pod, c, view, byId);
    if (view.current !== cur) {
      view.previous = cur;
      this.killedForRestart.delete(cur.id);
    }
    return wake;
  }

  /**
   * Pulls, creates and starts a container (and runs its postStart hook). Failures before
   * the container exists become its waiting reason; returns when to try again.
   */
  async start(pod: Pod, c: Container, view: ContainerView, byId: Map<string, ContainerStatus>, pidTargetId?: string): Promise<number> {
    const rt = this.deps.runtime;
    const rec = this.records.get(c.name) ?? { ids: [], attempts: 0 };
    this.records.set(c.name, rec);
    const fail = (reason: string, message: string, retryAt: number): number => {
      this.waiting.set(c.name, { reason, message, retryAt });
      view.waitingReason = reason;
      view.waitingMessage = message;
      return retryAt;
    };
    // Syncs in between (status writes, other containers) leave a failed attempt as it is until its retry is due.
    const pending = this.waiting.get(c.name);
    if (pending && pending.retryAt > this.now()) return pending.retryAt;
    let auths: PullAuth[] = [];
    if (this.deps.pullSecrets && pod.spec?.imagePullSecrets?.length) {
      try {
        auths = await this.deps.pullSecrets(pod);
      } catch (err) {
        // The secrets that could be read are still used, as the kubelet does.
        if (err instanceof PullSecretsError) auths = err.auths;
        this.deps.event?.(
          pod,
          'Warning',
          'FailedToRetrieveImagePullSecret',
          `Unable to retrieve some image pull secrets (${(err as Error).message}); attempting to pull the image may not succeed.`,
        );
      }
    }
    const pulled = await this.puller.ensure(pod, c, auths);
    const timing = this.deps.startTiming;
    if (pulled.ok) {
      if (pulled.pulledMs !== undefined) timing?.pulled(pod, pulled.pulledMs);
      timing?.mark(pod, 'imageChecked');
    }
    if (!pulled.ok) {
      // ErrImagePull turns into ImagePullBackOff on the next look, as the kubelet's next sync shows it.
      const next = pulled.reason === 'ErrImagePull' ? this.now() + RETRY_MS : (pulled.retryAt ?? this.now() + BACKOFF_INITIAL_MS);
      return fail(pulled.reason, pulled.message, next);
    }
    const attempt = rec.attempts;
    let config: ContainerConfig;
    try {
      config = await this.buildContainerConfig(pod, c, attempt);
      if (pidTargetId) config.linux = { ...config.linux, securityContext: { ...config.linux?.securityContext, pidTargetId } };
    } catch (err) {
      const message = (err as Error).message;
      this.deps.event?.(pod, 'Warning', 'Failed', `Error: ${message}`);
      return fail('CreateContainerConfigError', message, this.now() + this.retryBackoff.next(`config/${c.name}`));
    }
    let id: string;
    try {
      id = await rt.createContainer(this.sandbox.id!, config, this.sandbox.config(pod));
    } catch (err) {
      const message = (err as Error).message;
      this.deps.event?.(pod, 'Warning', 'Failed', `Error: ${message}`);
      return fail('CreateContainerError', message, this.now() + this.retryBackoff.next(`config/${c.name}`));
    }
    timing?.mark(pod, 'containerCreated');
    this.waiting.delete(c.name);
    view.waitingReason = view.waitingMessage = undefined;
    this.retryBackoff.reset(`config/${c.name}`);
    rec.attempts++;
    rec.ids.push(id);
    this.inSandbox.add(c.name);
    // Old attempts beyond the previous one are of no further use (kubelet keeps one dead container).
    while (rec.ids.length > 2) {
      const old = rec.ids.shift()!;
      this.messages.delete(old);
      this.killedForRestart.delete(old);
      await rt.removeContainer(old);
    }
    view.restartCount = Math.max(0, rec.attempts - 1);
    this.deps.event?.(pod, 'Normal', 'Created', `Created container ${c.name}`);
    try {
      await rt.startContainer(id);
    } catch (err) {
      this.deps.event?.(pod, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
    }
    const started = await rt.containerStatus(id);
    if (started.state === 'CONTAINER_RUNNING') timing?.mark(pod, 'containerStarted');
    if (started.state === 'CONTAINER_RUNNING' || started.state === 'CONTAINER_EXITED')
      this.deps.event?.(pod, 'Normal', 'Started', `Started container ${c.name}`);
    const postStart = c.lifecycle?.postStart;
    let st = started;
    if (postStart && this.deps.runtime.runsProcesses && started.state === 'CONTAINER_RUNNING') {
      const err = await runLifecycleHook(postStart, pod, c, await this.sandbox.hookTarget(c, id), graceSeconds(pod));
      if (err) {
        this.deps.event?.(pod, 'Warning', 'FailedPostStartHook', err);
        // Killed like any failing container, and restarted per the restart policy with back-off.
        await this.sandbox.kill(pod, c, id, graceSeconds(pod), 'FailedPostStartHook');
      }
      // The hook took its time (or the container was killed): the state is looked at again.
      st = await rt.containerStatus(id);
    }
    byId.set(id, st);
    view.current = st;
    return Infinity;
  }

  /** What the pod spec says of a container's CRI config, with what the containerConfig hook adds. */
  private async buildContainerConfig(pod: Pod, c: Container, attempt: number): Promise<ContainerConfig> {
    const base = baseContainerConfig(pod, c, attempt);
    if (!this.deps.containerConfig) return base;
    return mergeContainerConfig(base, await this.deps.containerConfig(pod, c, attempt, await this.sandbox.podIPs()));
  }
}
