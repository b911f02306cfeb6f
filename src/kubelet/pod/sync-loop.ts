// The rhythm of one pod's syncs, as the kubelet's pod worker goroutine keeps it: syncs never
// overlap; a kick during a sync causes one more sync after it; wake-ups are timers that kick
// (the earliest asked for wins); once stopped, nothing runs again.
export interface SyncLoopOptions {
  /** One sync; it handles its own errors. */
  sync(): Promise<void>;
  now(): number;
  /** While true the loop holds still (a node cut off from the API); kick() it when that ends. */
  paused?(): boolean;
}

export class SyncLoop {
  private running = false;
  private dirty = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private timerDue = Infinity;
  /** Resolves when the current run of syncs finishes. */
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly o: SyncLoopOptions) {}

  /** Something changed: sync (again). */
  kick(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.running) this.idle = this.run();
  }

  /** Wakes the loop at `ms` from now, unless an earlier wake-up is already set. */
  later(ms: number): void {
    if (this.stopped) return;
    const now = this.o.now();
    const due = now + Math.max(0, ms);
    if (this.timer && due >= this.timerDue && this.timerDue > now) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timerDue = Infinity;
        this.kick();
      },
      Math.max(0, ms),
    );
    this.timer.unref?.();
  }

  /** Resolves once no sync is running or pending. */
  async settled(): Promise<void> {
    while (this.running) await this.idle;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.stopped) {
        if (this.o.paused?.()) break;
        this.dirty = false;
        await this.o.sync();
      }
    } finally {
      this.running = false;
    }
  }
}
