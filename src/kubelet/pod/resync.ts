// The periodic resync of pod workers, as the kubelet's --sync-frequency: after each sync
// of a running pod, its worker is due again a jittered period later (the kubelet's pod
// workers re-queue with wait.Jitter(resyncInterval, 0.5), so [period, 1.5 × period)).
// Container events do not carry everything the status is made of: containerd may report a
// container's exit before its OOM, so a status computed in between says Error; only a
// later read of the runtime turns it into OOMKilled. The resync is that later read.
//
// One timer for all pods of the agent, set for the earliest due one (the kubelet's work
// queue with its one-second sync tick), rather than a timer per pod.

/** Jitter factor of the kubelet's pod workers (workerResyncIntervalJitterFactor). */
export const RESYNC_JITTER_FACTOR = 0.5;
/** The kubelet's default --sync-frequency. */
export const DEFAULT_SYNC_FREQUENCY_MS = 60_000;
/** Pods due within this much of the earliest are resynced together: the kubelet ticks once a second. */
const BATCH_MS = 1000;

export interface ResyncClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
  /** In [0, 1); Math.random by default. */
  random?(): number;
}

export const realClock: ResyncClock = {
  now: Date.now,
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending resync keeps no process alive.
    t.unref?.();
    return t;
  },
  clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
};

export interface PodResyncOptions {
  /** The sync frequency; 0 turns periodic resyncs off. */
  periodMs: number;
  /** Asks the worker of `key` for one more sync. */
  resync(key: string): void;
  clock?: ResyncClock;
}

/** wait.Jitter: `periodMs` plus up to `factor` of it more. */
export function jittered(periodMs: number, random: number, factor = RESYNC_JITTER_FACTOR): number {
  return periodMs + random * factor * periodMs;
}

export class PodResyncQueue {
  private readonly due = new Map<string, number>();
  private readonly clock: ResyncClock;
  private timer: unknown;
  private timerAt = Infinity;
  private stopped = false;

  constructor(private readonly o: PodResyncOptions) {
    this.clock = o.clock ?? realClock;
  }

  /** A sync of a running pod finished: it is due again a jittered period from now. */
  synced(key: string): void {
    if (this.stopped || this.o.periodMs <= 0) return;
    const at = this.clock.now() + jittered(this.o.periodMs, (this.clock.random ?? Math.random)());
    this.due.set(key, at);
    if (at < this.timerAt) this.arm(at);
  }

  /** The pod is terminating, finished or gone: no more resyncs (its timer slot is simply skipped). */
  forget(key: string): void {
    this.due.delete(key);
  }

  /** When `key` is due next (tests, figures); undefined when it is not queued. */
  dueAt(key: string): number | undefined {
    return this.due.get(key);
  }

  get size(): number {
    return this.due.size;
  }

  stop(): void {
    this.stopped = true;
    this.due.clear();
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const limit = this.clock.now() + BATCH_MS;
    const ready: string[] = [];
    let next = Infinity;
    for (const [key, at] of this.due) {
      if (at <= limit) ready.push(key);
      else next = Math.min(next, at);
    }
    // Taken off before the kicks: each sync puts its pod back with a new due time.
    for (const key of ready) this.due.delete(key);
    if (next !== Infinity) this.arm(next);
    for (const key of ready) this.o.resync(key);
  }
}
