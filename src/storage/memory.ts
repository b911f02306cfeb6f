// An in-memory Store: the reference for what every backend must do, and fast enough
// for unit tests. It keeps each key's versions so reads at a past revision work, and
// an event log so watches can replay history until compaction drops it.
import {
  StoreError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Store,
  type StoreEvent,
  type Watcher,
} from './store.js';

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
  add(
    prefix: string,
    after: number,
    replay: StoreEvent[],
    onEvent: (ev: StoreEvent) => void,
    onError?: (err: Error) => void,
  ): Watcher {
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

/** One version of a key; value null marks a deletion. */
interface Version {
  rev: number;
  createRevision: number;
  value: string | null;
}

function lowerBound(keys: string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class MemoryStore implements Store {
  private rev = 0;
  private compacted = 0;
  private readonly history = new Map<string, Version[]>();
  /** Every key with retained history, sorted, so prefix scans are a binary search plus a walk. */
  private keys: string[] = [];
  /** Events with revision above `compacted`, in revision order. */
  private events: StoreEvent[] = [];
  private readonly hub = new WatchHub();
  private closed = false;

  async get(key: string): Promise<KeyValue | null> {
    this.check();
    const v = this.history.get(key)?.at(-1);
    return v && v.value !== null ? toKv(key, v) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    const at = this.readRevision(opts.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const after = opts.startAfter;
    let i = after && after >= prefix ? lowerBound(this.keys, after) : lowerBound(this.keys, prefix);
    if (after && this.keys[i] === after) i++;
    const items: KeyValue[] = [];
    let remaining = 0;
    for (; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) break;
      const v = versionAt(this.history.get(key)!, at);
      if (!v || v.value === null) continue;
      if (items.length < limit) items.push(toKv(key, v));
      else remaining++;
    }
    return { items, revision: at, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.check();
    let n = 0;
    for (let i = lowerBound(this.keys, prefix); i < this.keys.length; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) break;
      if (this.history.get(key)!.at(-1)!.value !== null) n++;
    }
    return n;
  }

  async create(key: string, value: string): Promise<number> {
    this.check();
    const versions = this.history.get(key);
    const last = versions?.at(-1);
    if (last && last.value !== null) throw new StoreError('KeyExists', `key ${key} already exists`);
    const rev = ++this.rev;
    const v: Version = { rev, createRevision: rev, value };
    if (versions) versions.push(v);
    else {
      this.history.set(key, [v]);
      this.keys.splice(lowerBound(this.keys, key), 0, key);
    }
    this.emit({ type: 'put', kv: toKv(key, v), created: true });
    return rev;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<number> {
    this.check();
    const { versions, prev } = this.guard(key, expectedRevision);
    const rev = ++this.rev;
    const v: Version = { rev, createRevision: prev.createRevision, value };
    versions.push(v);
    this.emit({ type: 'put', kv: toKv(key, v), prevKv: prev, created: false });
    return rev;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    this.check();
    const { versions, prev } = this.guard(key, expectedRevision);
    const rev = ++this.rev;
    versions.push({ rev, createRevision: prev.createRevision, value: null });
    this.emit({ type: 'delete', kv: { ...prev, modRevision: rev }, prevKv: prev, created: false });
    return { revision: rev, prev };
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void, onError?: (err: Error) => void): Watcher {
    this.check();
    if (fromRevision < this.compacted) {
      throw new StoreError('Compacted', `revision ${fromRevision} has been compacted (oldest is ${this.compacted})`);
    }
    const replay: StoreEvent[] = [];
    for (let i = this.firstEventAfter(fromRevision); i < this.events.length; i++) {
      const ev = this.events[i]!;
      if (ev.kv.key.startsWith(prefix)) replay.push(ev);
    }
    return this.hub.add(prefix, Math.max(fromRevision, this.rev), replay, onEvent, onError);
  }

  async currentRevision(): Promise<number> {
    this.check();
    return this.rev;
  }

  async compactedRevision(): Promise<number> {
    this.check();
    return this.compacted;
  }

  async compact(revision: number): Promise<void> {
    this.check();
    const target = Math.min(revision, this.rev);
    if (target <= this.compacted) return;
    let dropped = false;
    for (const [key, versions] of this.history) {
      // Keep the newest version at or before target (it is the state at target) and
      // everything after; a deletion at or before target leaves nothing to keep.
      let keep = versions.length - 1;
      while (keep > 0 && versions[keep]!.rev > target) keep--;
      if (versions[keep]!.rev > target) continue;
      if (versions[keep]!.value === null) keep++;
      if (keep === 0) continue;
      versions.splice(0, keep);
      if (versions.length === 0) {
        this.history.delete(key);
        dropped = true;
      }
    }
    if (dropped) this.keys = this.keys.filter((k) => this.history.has(k));
    this.events = this.events.slice(this.firstEventAfter(target));
    this.compacted = target;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeAll(new StoreError('Unavailable', 'store closed'));
  }

  private check(): void {
    if (this.closed) throw new StoreError('Unavailable', 'store closed');
  }

  /** The revision a read should see; absent or 0 means now, and a future revision reads as now. */
  private readRevision(revision: number | undefined): number {
    if (!revision) return this.rev;
    if (revision < this.compacted) {
      throw new StoreError('Compacted', `revision ${revision} has been compacted (oldest is ${this.compacted})`);
    }
    return Math.min(revision, this.rev);
  }

  private guard(key: string, expectedRevision: number | undefined): { versions: Version[]; prev: KeyValue } {
    const versions = this.history.get(key);
    const last = versions?.at(-1);
    if (!versions || !last || last.value === null) throw new StoreError('NotFound', `key ${key} not found`);
    const prev = toKv(key, last);
    if (expectedRevision !== undefined && expectedRevision !== last.rev) {
      throw new StoreError('Conflict', `key ${key} is at revision ${last.rev}, not ${expectedRevision}`, prev);
    }
    return { versions, prev };
  }

  private emit(ev: StoreEvent): void {
    this.events.push(ev);
    this.hub.publish(ev);
  }

  private firstEventAfter(rev: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.kv.modRevision <= rev) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function toKv(key: string, v: Version): KeyValue {
  return { key, value: v.value ?? '', createRevision: v.createRevision, modRevision: v.rev };
}

function versionAt(versions: Version[], rev: number): Version | undefined {
  for (let i = versions.length - 1; i >= 0; i--) if (versions[i]!.rev <= rev) return versions[i];
  return undefined;
}
