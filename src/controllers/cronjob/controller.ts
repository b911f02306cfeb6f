// The CronJob controller: at each scheduled time (in the cron's zone) it creates a Job named
// <cronjob>-<scheduled minute>, honouring concurrencyPolicy, startingDeadlineSeconds and
// suspend, tracks active Jobs, and prunes finished ones beyond the history limits.
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { isAlreadyExists, isNotFound } from '../../client/transport.js';
import type { ControllerContext } from '../lib/context.js';
import { CONTROLLER_UID_INDEX, controlledBy, controllerRefFor, controllerUidIndex, getControllerOf } from '../lib/controller-ref.js';
import { QueueController } from '../lib/queue-controller.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { formatTime } from '../../util/time.js';
import { compileSchedule, formatInZone } from './schedule.js';

const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const TOO_MANY_MISSED = 100;

function finished(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

export class CronJobController extends QueueController {
  readonly name = 'cronjob';
  private readonly cronJobs: SharedInformer<CronJob>;
  private readonly jobs: SharedInformer<Job>;
  private readonly recorder: EventRecorder;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'cronjob sync failed', keyField: 'cronjob' });
    this.recorder = ctx.recorder('cronjob-controller');
    this.cronJobs = ctx.informers.informerFor(resources.cronJobs);
    this.jobs = ctx.informers.informerFor(resources.jobs);
    this.jobs.addIndexers({ [CONTROLLER_UID_INDEX]: controllerUidIndex });
    const enqueue = (c: CronJob) => this.queue.add(`${c.metadata!.namespace}/${c.metadata!.name}`);
    this.cronJobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    const forJob = (j: Job) => {
      const ref = getControllerOf(j);
      if (ref?.kind === 'CronJob') this.queue.add(`${j.metadata!.namespace}/${ref.name}`);
    };
    this.jobs.addEventHandler({ onAdd: forJob, onUpdate: (_o, n) => forJob(n), onDelete: forJob });
  }

  /** Wakes the controller for every CronJob, e.g. after a test moved its clock. */
  resyncAll(): void {
    for (const c of this.cronJobs.store.list()) this.queue.add(`${c.metadata!.namespace}/${c.metadata!.name}`);
  }

  async reconcile(key: string): Promise<void> {
    const cj = this.cronJobs.store.get(key);
    if (!cj) return;
    const now = this.ctx.now();
    const ns = cj.metadata!.namespace!;
    const owned = controlledBy(this.jobs.store, cj);
    const status: CronJobStatus = structuredClone(cj.status ?? {}) as CronJobStatus;
    const before = JSON.stringify(status);

    // Active list: running Jobs we own (and ones the cache has not shown yet).
    const active: ObjectReference[] = [];
    for (const j of owned) {
      const done = finished(j);
      const listed = (status.active ?? []).some((a) => a.uid === j.metadata?.uid);
      if (!done) {
        active.push({
          kind: 'Job',
          namespace: ns,
          name: j.metadata!.name,
          uid: j.metadata!.uid,
          apiVersion: 'batch/v1',
          resourceVersion: j.metadata!.resourceVersion,
        });
        continue;
      }
      if (listed) this.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata!.name}, condition: ${done}`);
      if (done === 'Complete' && j.status?.completionTime) {
        const t = Date.parse(j.status.completionTime);
        if (!status.lastSuccessfulTime || Date.parse(status.lastSuccessfulTime) < t) status.lastSuccessfulTime = j.status.completionTime;
      }
    }
    for (const a of status.active ?? []) {
      if (owned.some((j) => j.metadata?.uid === a.uid)) continue;
      // Created moments ago and not yet in the cache: keep it; else it is gone.
      try {
        const j = await this.ctx.client.jobs.get(a.name!, ns);
        if (j.metadata?.uid === a.uid && !finished(j)) active.push(a);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    status.active = active.length ? active : undefined;
    if (!status.active) delete status.active;

    if (!cj.metadata?.deletionTimestamp && !cj.spec?.suspend) await this.schedule(cj, status, now);
    await this.cleanupHistory(cj, owned);
    if (JSON.stringify(status) !== before) {
      const cur = this.cronJobs.store.get(key) ?? cj;
      try {
        await this.ctx.client.cronJobs.updateStatus({ ...cur, status }, { namespace: ns });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async schedule(cj: CronJob, status: CronJobStatus, now: number): Promise<void> {
    const key = `${cj.metadata!.namespace}/${cj.metadata!.name}`;
    let sched: ReturnType<typeof compileSchedule>;
    try {
      sched = compileSchedule(cj.spec!.schedule, cj.spec?.timeZone);
    } catch (err) {
      this.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec!.schedule)} : ${(err as Error).message}`);
      return;
    }
    const sds = cj.spec?.startingDeadlineSeconds;
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata!.creationTimestamp!);
    if (sds != null) earliest = Math.max(earliest, now - sds * 1000);
    if (sched.next(earliest) === undefined) {
      // A schedule that parses but never fires (`59 23 31 2 *`): kube-controller-manager finds no
      // two firing times, reports their gap as under a second, and waits for the spec to change.
      this.recorder.event(
        cj,
        'Warning',
        'InvalidSchedule',
        `invalid schedule: ${cj.spec!.schedule} : time difference between two schedules is less than 1 second`,
      );
      return;
    }
    let missed = 0;
    let latest: number | undefined;
    for (let t = sched.next(earliest); t !== undefined && t <= now; t = sched.next(t)) {
      latest = t;
      if (++missed > TOO_MANY_MISSED) break;
    }
    if (missed > TOO_MANY_MISSED) {
      // Too many to walk: find the latest in ever wider windows back from now.
      for (let span = 60_000; span < 2 * (now - earliest) + 60_000; span *= 2) {
        const from = Math.max(earliest, now - span);
        let found: number | undefined;
        for (let t = sched.next(from); t !== undefined && t <= now; t = sched.next(t)) found = t;
        if (found !== undefined) {
          latest = found;
          break;
        }
      }
    }
    const wake = () => {
      const n = sched.next(now);
      if (n !== undefined) this.queue.addAfter(key, Math.max(0, n - now) + 100);
    };
    if (latest === undefined) return wake();
    if (missed > TOO_MANY_MISSED)
      this.recorder.event(
        cj,
        'Warning',
        'TooManyMissedTimes',
        `too many missed start times: > ${TOO_MANY_MISSED}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
      );
    if (sds != null && latest + sds * 1000 < now) {
      this.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${formatInZone(latest, sched.timeZone)}`);
      return wake();
    }
    const name = `${cj.metadata!.name}-${Math.floor(latest / 60_000)}`;
    if (this.jobs.store.get(`${cj.metadata!.namespace}/${name}`) || status.active?.some((a) => a.name === name)) return wake();
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && status.active?.length) {
      this.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return wake();
    }
    if (policy === 'Replace') {
      for (const a of status.active ?? []) {
        try {
          await this.ctx.client.jobs.delete(a.name!, { namespace: a.namespace, propagationPolicy: 'Background' });
          this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${a.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      status.active = [];
    }
    const tmpl = cj.spec!.jobTemplate;
    const job: Job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata!.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}) },
        annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(latest, sched.timeZone) },
        ownerReferences: [controllerRefFor(cj, 'batch/v1', 'CronJob')],
      },
      spec: structuredClone(tmpl.spec!),
    };
    let created: Job;
    try {
      created = await this.ctx.client.jobs.create(job, { namespace: cj.metadata!.namespace });
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
        throw err;
      }
      created = await this.ctx.client.jobs.get(name, cj.metadata!.namespace);
      if (created.metadata?.ownerReferences?.every((r) => r.uid !== cj.metadata?.uid)) return wake();
    }
    status.active = [
      ...(status.active ?? []).filter((a) => a.uid !== created.metadata?.uid),
      {
        kind: 'Job',
        namespace: created.metadata!.namespace,
        name,
        uid: created.metadata!.uid,
        apiVersion: 'batch/v1',
        resourceVersion: created.metadata!.resourceVersion,
      },
    ];
    status.lastScheduleTime = formatTime(latest);
    wake();
  }

  private async cleanupHistory(cj: CronJob, owned: Job[]): Promise<void> {
    const prune = async (kind: 'Complete' | 'Failed', limit: number | undefined) => {
      if (limit == null) return;
      const done = owned
        .filter((j) => finished(j) === kind && !j.metadata?.deletionTimestamp)
        .sort((a, b) => (a.status?.startTime ?? a.metadata?.creationTimestamp ?? '').localeCompare(b.status?.startTime ?? b.metadata?.creationTimestamp ?? ''));
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        try {
          await this.ctx.client.jobs.delete(j.metadata!.name!, { namespace: j.metadata!.namespace, propagationPolicy: 'Background' });
          this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata!.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    };
    await prune('Complete', cj.spec?.successfulJobsHistoryLimit ?? 3);
    await prune('Failed', cj.spec?.failedJobsHistoryLimit ?? 1);
  }
}

export const cronJobController = (ctx: ControllerContext): CronJobController => new CronJobController(ctx);
