// The Job controller: runs pods until enough succeed (or too many fail), tracking each
// finished pod through the job-tracking finalizer so that no pod is counted twice or lost.
import type { Job, JobStatus, UncountedTerminatedPods } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import type { ControllerContext } from '../lib/context.js';
import { CONTROLLER_UID_INDEX, controlledBy, controllerUidIndex, getControllerOf } from '../lib/controller-ref.js';
import { ControllerExpectations } from '../lib/expectations.js';
import { watchOwnedPods } from '../lib/owned-pods.js';
import { isPodReady, isPodTerminal, podKey } from '../lib/pod-state.js';
import { QueueController } from '../lib/queue-controller.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { formatTime } from '../../util/time.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { buildJobPod } from './pods.js';
import { BURST_REPLICAS, slowStartBatch } from '../lib/pod-control.js';
import {
  COMPLETION_INDEX_ANNOTATION,
  DEFAULT_BACKOFF,
  TRACKING_FINALIZER,
  backoffRemaining,
  findCondition,
  isFinished,
  matchPodFailurePolicy,
  setCondition,
  type BackoffOptions,
} from './policy.js';

export interface JobControllerOptions {
  backoff?: BackoffOptions;
  workers?: number;
}

const COMPLETIONS_REACHED = ['CompletionsReached', 'Reached expected number of succeeded pods'] as const;

export class JobController extends QueueController {
  readonly name = 'job';
  private readonly expectations: ControllerExpectations;
  private readonly jobs: SharedInformer<Job>;
  private readonly pods: SharedInformer<Pod>;
  private readonly client: Client;
  private readonly recorder: EventRecorder;
  private readonly now: () => number;
  private readonly backoff: BackoffOptions;

  constructor(ctx: ControllerContext, opts: JobControllerOptions = {}) {
    super({ workers: opts.workers ?? 4, log: ctx.log, failure: 'job sync failed', keyField: 'job' });
    this.client = ctx.client;
    this.now = () => ctx.now();
    this.recorder = ctx.recorder('job-controller');
    this.expectations = new ControllerExpectations(this.now);
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.jobs = ctx.informers.informerFor(resources.jobs);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.pods.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    const enqueueJob = (j: Job) => this.queue.add(`${j.metadata!.namespace}/${j.metadata!.name}`);
    this.jobs.addEventHandler({ onAdd: enqueueJob, onUpdate: (_o, n) => enqueueJob(n), onDelete: enqueueJob });
    watchOwnedPods(this.pods, 'Job', this.expectations, (k) => this.queue.add(k));
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const job = this.jobs.store.get(key);
    if (!job) {
      this.expectations.delete(key);
      // The Job is gone: its pods must not stay pinned by our finalizer.
      const orphans = this.pods.store
        .list()
        .filter((p) => p.metadata?.namespace === namespace && getControllerOf(p)?.kind === 'Job' && getControllerOf(p)?.name === name);
      await this.removeFinalizers(orphans);
      return;
    }
    if (!this.expectations.satisfied(key)) return;
    const pods = controlledBy(this.pods.store, job);
    if (isFinished(job)) {
      await this.removeFinalizers(pods);
      return;
    }
    const now = this.now();
    const status: JobStatus = structuredClone(job.status ?? {}) as JobStatus;
    const before = JSON.stringify(status);
    const conditions = (status.conditions ??= []);
    const indexed = job.spec?.completionMode === 'Indexed';
    const completions = job.spec?.completions ?? undefined;
    const completed = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();

    // 1. Record newly finished pods in uncountedTerminatedPods before their finalizer goes.
    const uncounted: UncountedTerminatedPods = {
      succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])],
      failed: [...(status.uncountedTerminatedPods?.failed ?? [])],
    };
    const listed = new Set([...uncounted.succeeded!, ...uncounted.failed!]);
    const release: Pod[] = [];
    let failJob: string | undefined;
    for (const p of pods) {
      if (!p.metadata?.finalizers?.includes(TRACKING_FINALIZER)) continue;
      const uid = p.metadata.uid!;
      const deletedGone = !!p.metadata.deletionTimestamp && !isPodTerminal(p) && Date.parse(p.metadata.deletionTimestamp) <= now;
      if (!isPodTerminal(p) && !deletedGone) continue;
      release.push(p);
      if (listed.has(uid)) continue;
      // Pods the controller itself deleted (suspend, failure, success) are not failures.
      const stopping = job.spec?.suspend || !!findCondition(job, 'FailureTarget') || !!findCondition(job, 'SuccessCriteriaMet');
      if (p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && stopping) continue;
      if (p.status?.phase === 'Succeeded') {
        const ix = Number(p.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION]);
        if (indexed) {
          if (Number.isInteger(ix) && ix >= 0 && ix < (completions ?? 0) && !completed.has(ix)) {
            completed.add(ix);
            uncounted.succeeded!.push(uid);
          } else continue; // a duplicate success of an index: not counted
        } else uncounted.succeeded!.push(uid);
      } else {
        const m = matchPodFailurePolicy(job, p);
        if (m?.action === 'Ignore') continue;
        if (m?.action === 'FailJob') failJob ??= m.message;
        uncounted.failed!.push(uid);
      }
    }
    if (indexed) status.completedIndexes = formatIndexes(completed);
    status.uncountedTerminatedPods = uncounted;
    let current = job;
    if (release.length) {
      if (JSON.stringify(status) !== before) current = await this.writeStatus(job, status);
      await this.removeFinalizers(release);
      // 2. Finalizers gone: the pods are now counted in succeeded/failed.
      const released = new Set(release.map((p) => p.metadata!.uid!));
      const still = new Set(
        pods.filter((p) => !released.has(p.metadata!.uid!) && p.metadata?.finalizers?.includes(TRACKING_FINALIZER)).map((p) => p.metadata!.uid!),
      );
      const move = (l: string[]) => l.filter((u) => !still.has(u));
      const s = move(uncounted.succeeded!);
      const f = move(uncounted.failed!);
      status.succeeded = (status.succeeded ?? 0) + s.length;
      status.failed = (status.failed ?? 0) + f.length;
      uncounted.succeeded = uncounted.succeeded!.filter((u) => still.has(u));
      uncounted.failed = uncounted.failed!.filter((u) => still.has(u));
    }
    const succeeded = status.succeeded ?? 0;
    let failed = status.failed ?? 0;
    const active = pods.filter((p) => !isPodTerminal(p) && !p.metadata?.deletionTimestamp);
    const terminating = pods.filter((p) => !isPodTerminal(p) && p.metadata?.deletionTimestamp);
    if (job.spec?.template?.spec?.restartPolicy === 'OnFailure')
      for (const p of active) for (const cs of p.status?.containerStatuses ?? []) failed += cs.restartCount ?? 0;

    // 3. Has the Job failed?
    if (!findCondition(job, 'FailureTarget')) {
      let reason: [string, string] | undefined;
      if (failJob) reason = ['PodFailurePolicy', failJob];
      else if (failed > (job.spec?.backoffLimit ?? 6)) reason = ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'];
      else if (job.spec?.activeDeadlineSeconds && status.startTime && now - Date.parse(status.startTime) >= job.spec.activeDeadlineSeconds * 1000)
        reason = ['DeadlineExceeded', 'Job was active longer than specified deadline'];
      if (reason) {
        setCondition(conditions, 'FailureTarget', 'True', reason[0], reason[1], now);
        this.recorder.event(job, 'Warning', reason[0], reason[1]);
      }
    }
    const target = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    let done = false;
    if (target) {
      await this.deletePods(key, active);
      if (active.length + terminating.length === 0) setCondition(conditions, 'Failed', 'True', target.reason!, target.message!, now);
      done = true;
    }

    // 4. Has it succeeded?
    const reached = indexed ? completed.size >= (completions ?? 0) : completions != null ? succeeded >= completions : succeeded > 0 && active.length === 0;
    if (!done && reached) {
      setCondition(conditions, 'SuccessCriteriaMet', 'True', ...COMPLETIONS_REACHED, now);
      await this.deletePods(key, active);
      if (active.length + terminating.length === 0) {
        setCondition(conditions, 'Complete', 'True', ...COMPLETIONS_REACHED, now);
        status.completionTime = formatTime(now);
        this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
      }
      done = true;
    }

    // 5. Otherwise run the right number of pods.
    let activeCount = active.length;
    if (!done) {
      if (job.spec?.suspend) {
        if (setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
          this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
          delete status.startTime;
        }
        await this.deletePods(key, active);
        activeCount = 0;
      } else {
        const wasSuspended = conditions.some((c) => c.type === 'Suspended' && c.status === 'True');
        if (wasSuspended) {
          setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
          this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
        }
        status.startTime ??= formatTime(now);
        activeCount = await this.manage(key, job, active, pods, completed, succeeded, now);
        const ads = job.spec?.activeDeadlineSeconds;
        if (ads) this.queue.addAfter(key, Math.max(0, Date.parse(status.startTime) + ads * 1000 - now) + 10);
      }
    }
    status.active = activeCount;
    status.ready = active.filter(isPodReady).length;
    status.terminating = terminating.length;
    status.succeeded = succeeded;
    status.failed = status.failed ?? 0;
    if (JSON.stringify(status) !== JSON.stringify(current.status ?? {})) await this.writeStatus(current, status);
  }

  /** Creates missing pods (within parallelism and back-off) and deletes surplus ones; returns the active count. */
  private async manage(key: string, job: Job, active: Pod[], all: Pod[], completed: Set<number>, succeeded: number, now: number): Promise<number> {
    const parallelism = job.spec?.parallelism ?? 1;
    const completions = job.spec?.completions ?? undefined;
    const indexed = job.spec?.completionMode === 'Indexed';
    let want: number;
    if (indexed) want = Math.min(parallelism, (completions ?? 0) - completed.size);
    else if (completions == null) want = succeeded > 0 ? Math.min(active.length, parallelism) : parallelism;
    else want = Math.min(parallelism, completions - succeeded);
    want = Math.max(0, want);
    if (active.length > want) {
      // Not-ready, then youngest pods go first.
      const victims = [...active].sort(
        (a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''),
      );
      await this.deletePods(key, victims.slice(0, active.length - want));
      return want;
    }
    if (active.length === want) return active.length;
    // podReplacementPolicy Failed: a replacement waits until the pod it replaces is fully gone.
    if (job.spec?.podReplacementPolicy === 'Failed' && all.some((p) => p.metadata?.deletionTimestamp && !isPodTerminal(p))) return active.length;
    const wait = backoffRemaining(all, now, this.backoff);
    if (wait > 0) {
      this.queue.addAfter(key, wait);
      return active.length;
    }
    let indexes: (number | undefined)[];
    if (indexed) {
      const busy = new Set(active.map((p) => Number(p.metadata?.annotations?.[COMPLETION_INDEX_ANNOTATION])));
      indexes = [];
      for (let i = 0; i < (completions ?? 0) && indexes.length < want - active.length; i++) if (!completed.has(i) && !busy.has(i)) indexes.push(i);
    } else indexes = Array.from({ length: want - active.length }, () => undefined);
    if (!indexes.length) return active.length;
    // At most BURST_REPLICAS per sync, in slow-start batches that stop at the first error (Kubernetes' MaxPodCreateDeletePerSync).
    indexes = indexes.slice(0, BURST_REPLICAS);
    this.expectations.expectCreations(key, indexes.length);
    let created = 0;
    const { tried, error } = await slowStartBatch(indexes.length, 1, async (i) => {
      try {
        const made = await this.client.pods.create(buildJobPod(job, indexes[i]), { namespace: job.metadata!.namespace });
        created++;
        this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata!.name}`);
      } catch (err) {
        this.expectations.lowerCreations(key);
        this.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
        throw err;
      }
    });
    if (tried < indexes.length) this.expectations.lowerCreations(key, indexes.length - tried);
    if (error) throw error;
    return active.length + created;
  }

  private async deletePods(key: string, pods: Pod[]): Promise<void> {
    if (!pods.length) return;
    const job = this.jobs.store.get(key);
    this.expectations.expectDeletions(key, pods.map(podKey));
    await Promise.all(
      pods.map(async (p) => {
        try {
          await this.client.pods.delete(p.metadata!.name!, { namespace: p.metadata!.namespace });
          if (job) this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, podKey(p));
          if (!isNotFound(err)) throw err;
        }
      }),
    );
  }

  private async removeFinalizers(pods: Pod[]): Promise<void> {
    await Promise.all(
      pods
        .filter((p) => p.metadata?.finalizers?.includes(TRACKING_FINALIZER))
        .map(async (p) => {
          try {
            await this.client.pods.patch(
              p.metadata!.name!,
              { metadata: { resourceVersion: p.metadata!.resourceVersion, finalizers: p.metadata!.finalizers!.filter((f) => f !== TRACKING_FINALIZER) } },
              'merge',
              { namespace: p.metadata!.namespace },
            );
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }),
    );
  }

  private async writeStatus(job: Job, status: JobStatus): Promise<Job> {
    const body: Job = { ...job, metadata: { ...job.metadata }, status: structuredClone(status) };
    return this.client.jobs.updateStatus(body, { namespace: job.metadata!.namespace });
  }
}

export const jobController = (ctx: ControllerContext, opts?: JobControllerOptions): JobController => {
  const base = Number(process.env.SKIFF_JOB_BACKOFF_BASE_MS);
  const backoff = opts?.backoff ?? (base > 0 ? { baseMs: base, maxMs: Math.max(base, DEFAULT_BACKOFF.maxMs * (base / DEFAULT_BACKOFF.baseMs)) } : undefined);
  return new JobController(ctx, { ...opts, backoff });
};
