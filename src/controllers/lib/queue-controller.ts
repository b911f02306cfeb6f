// The shape most controllers share: informer handlers put keys on a work queue, a few
// workers reconcile them (a failure is logged with its key and retried with back-off),
// and stopping shuts the queue down. Subclasses give the name, the loop and reconcile().
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import type { Logger } from '../../util/log.js';
import type { Controller } from './context.js';

export interface WorkerLoop {
  /** How many keys are reconciled at once. */
  workers: number;
  log: Logger;
  /** The warning logged when a reconcile fails, e.g. 'job sync failed'. */
  failure: string;
  /** The log field that names the failed key, e.g. 'job'. */
  keyField: string;
}

export abstract class QueueController implements Controller {
  abstract readonly name: string;
  // Named lazily: the subclass's `name` is set after this field.
  readonly queue = new WorkQueue({ name: () => this.name });

  protected constructor(private readonly loop: WorkerLoop) {}

  /** Brings the object behind `key` to its desired state; throwing retries the key later. */
  protected abstract reconcile(key: string): Promise<void>;

  run(): Promise<void> {
    const { workers, log, failure, keyField } = this.loop;
    return runWorkers(this.queue, workers, (key) => this.reconcile(key), {
      onError: (key, err) => log.warn(failure, { [keyField]: key, error: (err as Error).message }),
    });
  }

  stop(): void {
    this.queue.shutDown();
  }
}
