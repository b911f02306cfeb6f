// Per-key exponential back-off with the kubelet's rules (client-go flowcontrol.Backoff):
// each failure doubles the delay from `initialMs` up to `maxMs`, and a key that saw no
// failure for twice the maximum (10 minutes with the kubelet's 5-minute cap) starts over
// at the initial delay. Used for container restarts (CrashLoopBackOff) and image pulls
// (ImagePullBackOff).

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current delay of a key; 0 when it has none. */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /** Records one more failure at `now` and returns the delay that now applies. */
  next(key: string, at: number = this.now()): number {
    const e = this.entries.get(key);
    const delayMs = !e || this.expired(e, at) ? this.initialMs : Math.min(this.maxMs, e.delayMs * 2);
    this.entries.set(key, { delayMs, lastUpdate: this.now() });
    return delayMs;
  }

  /**
   * Whether an event at `eventTime` (a container's finish, a failed pull) is still inside
   * the key's back-off window; returns the end of the window, or undefined when it is over.
   */
  until(key: string, eventTime: number): number | undefined {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) return undefined;
    const end = eventTime + e.delayMs;
    return this.now() < end ? end : undefined;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets keys whose prefix matches (a pod's containers once the pod is gone). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private expired(e: Entry, at: number): boolean {
    return at - e.lastUpdate > this.maxMs * 2;
  }
}
