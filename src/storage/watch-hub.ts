// The watch fan-out every Store backend shares (memory, sqlite), so that they agree on how
// committed events reach watchers.
import type { StoreEvent, Watcher } from './store.js';

interface Subscription {
  prefix: string;
  /** Only events with a revision above this reach the subscriber (replay already covered the rest). */
  after: number;
  /** Replayed and early live events waiting for the first delivery; null once delivered. */
  queue: StoreEvent[] | null;
  stopped: boolean;
  onEvent: (ev: StoreEvent) => void;
  onError?: (err: Error) => void;
}

/**
 * Fans committed events out to watchers. Shared by the backends so they agree on the
 * delivery rules: replay is handed over in a microtask (so the callback never runs
 * before watch() has returned the Watcher), live events are delivered synchronously
 * when the write commits, and every watcher sees events in revision order.
 */
export class WatchHub {
  private readonly subs = new Set<Subscription>();
  private readonly pending: StoreEvent[] = [];
  private publishing = false;

  get size(): number {
    return this.subs.size;
  }

  /** `after` must be at least the revision the replay was read at, so no event arrives twice. */
  add(prefix: string, after: number, replay: StoreEvent[], onEvent: (ev: StoreEvent) => void, onError?: (err: Error) => void): Watcher {
    const sub: Subscription = { prefix, after, queue: replay, stopped: false, onEvent, onError };
    this.subs.add(sub);
    queueMicrotask(() => this.flush(sub));
    return {
      stop: () => {
        sub.stopped = true;
        this.subs.delete(sub);
      },
    };
  }

  publish(ev: StoreEvent): void {
    // A callback may write to the store; its event must wait until every watcher has
    // seen this one, or watchers later in the set would see revisions out of order.
    this.pending.push(ev);
    if (this.publishing) return;
    this.publishing = true;
    try {
      for (let i = 0; i < this.pending.length; i++) {
        const e = this.pending[i]!;
        for (const sub of this.subs) {
          if (e.kv.modRevision <= sub.after || !e.kv.key.startsWith(sub.prefix)) continue;
          if (sub.queue) sub.queue.push(e);
          else this.deliver(sub, e);
        }
      }
    } finally {
      this.pending.length = 0;
      this.publishing = false;
    }
  }

  /** Ends every watch, telling each why (the store is going away). */
  closeAll(err: Error): void {
    const subs = [...this.subs];
    this.subs.clear();
    for (const sub of subs) {
      sub.stopped = true;
      sub.queue = null;
      try {
        sub.onError?.(err);
      } catch {
        // The store is closing; a failing error handler has nobody left to tell.
      }
    }
  }

  private flush(sub: Subscription): void {
    const q = sub.queue;
    if (!q) return;
    // Events published while we deliver are appended to q, so read its length each time.
    for (let i = 0; i < q.length && !sub.stopped; i++) this.deliver(sub, q[i]!);
    sub.queue = null;
  }

  private deliver(sub: Subscription, ev: StoreEvent): void {
    if (sub.stopped) return;
    try {
      sub.onEvent(ev);
    } catch (err) {
      // The write has committed; a broken consumer must not fail it or starve the
      // other watchers, so only this watch ends.
      sub.stopped = true;
      sub.queue = null;
      this.subs.delete(sub);
      sub.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
