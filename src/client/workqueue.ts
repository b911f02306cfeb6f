// The queue between informers and reconcilers. It holds keys, not objects, so a burst of
// changes to one object costs one reconcile, and the reconciler reads the latest state
// from the cache. Guarantees, as client-go's: a key is handed to at most one worker at a
// time; a key added while it is being processed is handed out again after done(key).
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { queueMetricsFor, type QueueMetrics } from './workqueue-metrics.js';

export interface WorkQueueOptions {
  /** Default: defaultControllerRateLimiter(). */
  rateLimiter?: RateLimiter;
  /**
   * The queue's name in workqueue_* series (read at first use, so a controller may name it
   * from a field its subclass sets); unnamed queues report no metrics.
   */
  name?: string | (() => string);
}

export class WorkQueue {
  // Keys waiting to be handed out, in order; `head` avoids O(n) shifts.
  private queue: string[] = [];
  private head = 0;
  /** Keys that need processing: queued, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly idleWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private readonly rateLimiter: RateLimiter;
  private metricsResolved = false;
  private metricsSink: QueueMetrics | undefined;
  /** When each dirty key was added, and when each key handed out was taken (ms), for metrics. */
  private readonly addedAt = new Map<string, number>();
  private readonly takenAt = new Map<string, number>();

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter();
  }

  private get metrics(): QueueMetrics | undefined {
    if (!this.metricsResolved) {
      this.metricsResolved = true;
      const name = typeof this.opts.name === 'function' ? this.opts.name() : this.opts.name;
      this.metricsSink = queueMetricsFor(name);
    }
    return this.metricsSink;
  }

  /** Keys waiting to be handed out (not counting those being processed or delayed). */
  len(): number {
    return this.queue.length - this.head;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    const m = this.metrics;
    if (m) {
      m.added();
      m.depth(this.dirty.size);
      this.addedAt.set(key, performance.now());
    }
    if (this.processing.has(key)) return;
    this.enqueue(key);
  }

  /**
   * The next key, waiting for one if need be; undefined once the queue is shut down (keys
   * still queued then are dropped). Call done(key) when finished with it.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    if (this.len() > 0) return Promise.resolve(this.take(this.dequeue()));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added meanwhile it goes back in the queue. */
  done(key: string): void {
    if (!this.processing.delete(key)) return;
    const taken = this.takenAt.get(key);
    if (taken !== undefined) {
      this.takenAt.delete(key);
      this.metrics?.worked((performance.now() - taken) / 1000);
    }
    if (this.dirty.has(key) && !this.shuttingDown) this.enqueue(key);
    if (this.processing.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Adds `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    this.metrics?.retried();
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.at <= at) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` when the rate limiter allows: after its back-off and the shared bucket's. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Resets `key`'s back-off; call when it was processed successfully. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Stops handing out keys: waiting and later get() calls resolve undefined; adds are ignored. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  /** shutDown(), then wait until every key handed out has been marked done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(this.take(key));
    else this.queue.push(key);
  }

  private dequeue(): string {
    // Callers check the queue is not empty first.
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  private take(key: string): string {
    this.dirty.delete(key);
    this.processing.add(key);
    const m = this.metrics;
    if (m) {
      const now = performance.now();
      const added = this.addedAt.get(key);
      this.addedAt.delete(key);
      if (added !== undefined) m.queued((now - added) / 1000);
      this.takenAt.set(key, now);
      m.depth(this.dirty.size);
    }
    return key;
  }
}

export interface RunWorkersOptions {
  /** Hears about failed reconciles; default console.warn. */
  onError?(key: string, err: unknown): void;
  /** Give up on a key after this many consecutive failures (forget it); default never. */
  maxRetries?: number;
}

/**
 * Runs `n` workers that take keys and reconcile them: on success the key's back-off is
 * forgotten, on failure it is re-added with rate limiting. Resolves when the queue has
 * been shut down and every worker has finished its current key.
 */
export async function runWorkers(queue: WorkQueue, n: number, reconcile: (key: string) => Promise<void>, opts: RunWorkersOptions = {}): Promise<void> {
  const onError = opts.onError ?? ((key, err) => console.warn(`reconcile ${key} failed: ${(err as Error)?.message ?? err}`));
  const worker = async () => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      try {
        await reconcile(key);
        queue.forget(key);
      } catch (err) {
        try {
          onError(key, err);
        } catch {
          /* a failing error reporter must not kill the worker */
        }
        if (opts.maxRetries !== undefined && queue.numRequeues(key) >= opts.maxRetries) queue.forget(key);
        else queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
}
