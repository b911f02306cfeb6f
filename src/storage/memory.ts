// An in-memory Store: the reference for what every backend must do, and fast enough
// for unit tests. It keeps each key's versions so reads at a past revision work, and
// an event log so watches can replay history until compaction drops it.
import { StoreError, type KeyValue, type ListOptions, type ListResult, type Store, type StoreEvent, type Watcher } from './store.js';
import { WatchHub } from './watch-hub.js';

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
