// The TTL-after-finished controller: a finished Job with ttlSecondsAfterFinished is deleted
// (with its pods, in the foreground) once that many seconds have passed since it finished.
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { ControllerContext } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

/** When the Job finished (its Complete or Failed condition's transition), if it has. */
export function finishTime(job: Job): number | undefined {
  for (const c of job.status?.conditions ?? [])
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return Date.parse(c.lastTransitionTime ?? job.status?.completionTime ?? '');
  return undefined;
}

export class TTLAfterFinishedController extends QueueController {
  readonly name = 'ttl-after-finished';
  private readonly jobs: SharedInformer<Job>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'ttl cleanup failed', keyField: 'job' });
    this.jobs = ctx.informers.informerFor(resources.jobs);
    const enqueue = (j: Job) => {
      if (j.spec?.ttlSecondsAfterFinished != null && !j.metadata?.deletionTimestamp && finishTime(j) !== undefined)
        this.queue.add(`${j.metadata!.namespace}/${j.metadata!.name}`);
    };
    this.jobs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  /** Wakes the controller for every Job, e.g. after a test moved its clock. */
  resyncAll(): void {
    for (const j of this.jobs.store.list()) this.queue.add(`${j.metadata!.namespace}/${j.metadata!.name}`);
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.jobs.store.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) return;
    const expireAt = (job: Job) => {
      const ttl = job.spec?.ttlSecondsAfterFinished;
      const done = finishTime(job);
      return ttl == null || done === undefined || Number.isNaN(done) ? undefined : done + ttl * 1000;
    };
    const now = this.ctx.now();
    const at = expireAt(cached);
    if (at === undefined) return;
    if (at > now) {
      this.queue.addAfter(key, at - now);
      return;
    }
    // The cache may be stale (the TTL raised meanwhile): decide on the live object.
    let job: Job;
    try {
      job = await this.ctx.client.jobs.get(cached.metadata!.name!, cached.metadata!.namespace);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const liveAt = expireAt(job);
    if (liveAt === undefined) return;
    if (liveAt > now) {
      this.queue.addAfter(key, liveAt - now);
      return;
    }
    try {
      await this.ctx.client.jobs.delete(job.metadata!.name!, {
        namespace: job.metadata!.namespace,
        propagationPolicy: 'Foreground',
        preconditions: { uid: job.metadata!.uid, resourceVersion: job.metadata!.resourceVersion },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const ttlAfterFinishedController = (ctx: ControllerContext): TTLAfterFinishedController => new TTLAfterFinishedController(ctx);
