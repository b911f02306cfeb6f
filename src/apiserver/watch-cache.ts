// The watch cache: one store watch on /registry/ keeps a decoded, frozen copy of every
// object and a window of recent events. Lists at resourceVersion "0" (and consistent lists,
// once the cache has caught up) are served from memory; each event is decoded and
// serialised once and fanned out to every watcher of its resource.
import type { KObject } from '../api/types.js';
import type { KeyValue, Store, StoreEvent, Watcher as StoreWatcher } from '../storage/store.js';
import { decode } from './cached-decode.js';
import { frozenCopy } from './json-cache.js';

export interface CachedEvent {
  revision: number;
  /** The resource prefix, e.g. /registry/pods/ */
  prefix: string;
  key: string;
  type: 'put' | 'delete';
  created: boolean;
  /** For delete: the last state, stamped with the delete's revision. */
  object: KObject;
  prev?: KObject;
}

/** A watcher of one resource; `deliver` decides per event what (if anything) to send. */
export interface CacheWatcher {
  deliver(ev: CachedEvent): void;
  /** The watcher fell behind or the cache is closing. */
  terminate(err?: Error): void;
}

const RING_SIZE = 20_000;

/** A stored value loaded at start-up and not yet asked for. */
class Undecoded {
  constructor(readonly kv: KeyValue) {}
}

/**
 * Objects by key, decoded on first use: a restart on a data dir holding 200,000 objects
 * would otherwise parse and freeze every one of them before serving its first request.
 */
export class CachedObjects {
  private readonly map = new Map<string, KObject | Undecoded>();

  get(key: string): KObject | undefined {
    const v = this.map.get(key);
    if (!(v instanceof Undecoded)) return v;
    const obj = decode(v.kv);
    this.map.set(key, obj);
    return obj;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  set(key: string, obj: KObject | Undecoded): void {
    this.map.set(key, obj);
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  get size(): number {
    return this.map.size;
  }
}

class ResourceState {
  readonly objects = new CachedObjects();
  readonly watchers = new Set<CacheWatcher>();
  private sorted: string[] | null = null;

  set(key: string, obj: KObject | Undecoded): void {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, obj);
  }
  remove(key: string): void {
    if (this.objects.delete(key)) this.sorted = null;
  }
  clear(): void {
    this.objects.clear();
    this.sorted = null;
  }
  /** Keys in store order, so lists page the way etcd would. */
  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort();
    return this.sorted;
  }
}

export class WatchCache {
  private readonly states = new Map<string, ResourceState>();
  private readonly ring: CachedEvent[] = [];
  private ringStart = 0; // index of the oldest event within `ring` (used as a circular buffer)
  private storeWatch?: StoreWatcher;
  private waiters: { revision: number; resolve: () => void }[] = [];
  /** Newest revision applied to the cache. */
  revision = 0;
  private stopped = false;
  private reloading = false;
  /** Events with revision > this are all in the ring. */
  private windowStart = 0;

  /** The objects behind writes in progress (see writing), by key, until their store calls end. */
  private readonly expected = new Map<string, { value: string; obj: KObject }>();

  constructor(private readonly store: Store) {}

  /**
   * Runs a store write of `value` (the stored JSON of `obj`, resourceVersion left out) at
   * `key`. When the store delivers the write's event before the call ends, the cached copy is
   * made from `obj` itself instead of parsing `value` again: the same data, frozen.
   */
  writing<T>(key: string, value: string, obj: KObject, write: () => Promise<T>): Promise<T> {
    const mine = { value, obj };
    this.expected.set(key, mine);
    // The event may come during the call or (a store that waits for its fsync, etcd) after it.
    const forget = () => {
      if (this.expected.get(key) === mine) this.expected.delete(key);
    };
    try {
      const p = write();
      p.then(forget, forget);
      return p;
    } catch (err) {
      forget();
      throw err;
    }
  }

  /** The cached object for a put: from the writer's object when it is the one expected. */
  private decodePut(kv: KeyValue, prev: KObject | undefined): KObject {
    const e = this.expected.get(kv.key);
    if (e && e.value === kv.value) {
      this.expected.delete(kv.key);
      const meta = e.obj.metadata;
      if (meta && typeof meta === 'object' && !Array.isArray(meta) && Object.getPrototypeOf(meta) === Object.prototype) {
        try {
          // As decode: the stored metadata without resourceVersion, which then comes last.
          const { resourceVersion: _rv, ...m } = meta;
          m.resourceVersion = String(kv.modRevision);
          return frozenCopy({ ...e.obj, metadata: m }, prev) as KObject;
        } catch {
          // Not plain data: the text says what was stored.
        }
      }
    }
    return decode(kv, kv.modRevision, prev);
  }

  /**
   * Loads every object and starts following the store. The first load leaves objects to be
   * decoded when first read; a reload (`decodeNow`) decodes them all first, so that a value
   * the cache cannot take keeps failing the reload and the cache keeps what it had.
   */
  async start(decodeNow = false): Promise<void> {
    const { items, revision } = await this.store.list('/registry/');
    if (this.stopped) return;
    // Sorted out before anything is replaced, so a failed reload leaves the cache as it was;
    // each object is decoded when first read (see CachedObjects).
    const loaded: [string, string, KObject | Undecoded][] = [];
    for (const kv of items) {
      const prefix = this.prefixOf(kv.key);
      if (prefix) loaded.push([prefix, kv.key, decodeNow ? decode(kv) : new Undecoded(kv)]);
    }
    for (const s of this.states.values()) s.clear();
    for (const [prefix, key, obj] of loaded) this.state(prefix).set(key, obj);
    this.ring.length = 0;
    this.ringStart = 0;
    this.revision = Math.max(this.revision, revision);
    this.windowStart = revision;
    this.storeWatch = this.store.watch(
      '/registry/',
      revision,
      (ev) => this.apply(ev),
      (err) => this.fail(err),
    );
    this.wakeWaiters();
  }

  stop(): void {
    this.stopped = true;
    this.storeWatch?.stop();
    for (const s of this.states.values()) for (const w of s.watchers) w.terminate();
  }

  /** `/registry/pods/` for `/registry/pods/ns/name`; CRDs use `/registry/<group>/<plural>/`. */
  prefixOf(key: string): string | undefined {
    const parts = key.split('/');
    if (parts.length < 4) return undefined;
    // A dotted first segment is an API group (custom resources); plurals never contain dots.
    return parts[2]!.includes('.') ? `/registry/${parts[2]}/${parts[3]}/` : `/registry/${parts[2]}/`;
  }

  private state(prefix: string): ResourceState {
    let s = this.states.get(prefix);
    if (!s) this.states.set(prefix, (s = new ResourceState()));
    return s;
  }

  private apply(ev: StoreEvent): void {
    const prefix = this.prefixOf(ev.kv.key);
    const rev = ev.kv.modRevision;
    if (prefix) {
      const s = this.state(prefix);
      const prev = s.objects.get(ev.kv.key);
      let cached: CachedEvent;
      if (ev.type === 'put') {
        const obj = this.decodePut(ev.kv, prev);
        s.set(ev.kv.key, obj);
        cached = { revision: rev, prefix, key: ev.kv.key, type: 'put', created: ev.created || !prev, object: obj, prev };
      } else {
        s.remove(ev.kv.key);
        const last = ev.prevKv ?? ev.kv;
        cached = { revision: rev, prefix, key: ev.kv.key, type: 'delete', created: false, object: decode(last, rev), prev };
      }
      this.push(cached);
      for (const w of s.watchers) {
        try {
          w.deliver(cached);
        } catch (err) {
          w.terminate(err as Error);
        }
      }
    }
    this.revision = rev;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    if (!this.waiters.length) return;
    const rev = this.revision;
    const ready = this.waiters.filter((w) => w.revision <= rev);
    this.waiters = this.waiters.filter((w) => w.revision > rev);
    for (const w of ready) w.resolve();
  }

  private push(ev: CachedEvent): void {
    if (this.ring.length < RING_SIZE) {
      this.ring.push(ev);
      return;
    }
    const dropped = this.ring[this.ringStart]!;
    this.windowStart = dropped.revision;
    this.ring[this.ringStart] = ev;
    this.ringStart = (this.ringStart + 1) % RING_SIZE;
  }

  /**
   * The store watch ended (with etcd: history compacted while this server was cut off, or
   * a value it could not take). Watchers are told, as Kubernetes' cacher does; they come
   * back with their last resourceVersion. Then the cache reloads and follows the store
   * again, retrying with back-off: a cache that stopped following would serve stale data.
   */
  private fail(err: Error): void {
    for (const s of this.states.values()) {
      for (const w of s.watchers) w.terminate(err);
      s.watchers.clear();
    }
    if (this.stopped || this.reloading) return;
    this.reloading = true;
    void (async () => {
      for (let delay = 100; !this.stopped; delay = Math.min(delay * 2, 10_000)) {
        try {
          await this.start(true);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, delay).unref());
        }
      }
      this.reloading = false;
    })();
  }

  /** Resolves once the cache has applied `revision` (or rejects after `timeoutMs`). */
  waitFor(revision: number, timeoutMs = 3000): Promise<void> {
    if (revision <= this.revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`Too large resource version: ${revision}, current: ${this.revision}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push({ revision, resolve: done });
    });
  }

  /** Waits until every write acknowledged so far is in the cache (a consistent read). */
  async sync(): Promise<void> {
    await this.waitFor(await this.store.currentRevision());
  }

  get(key: string): KObject | undefined {
    const prefix = this.prefixOf(key);
    return prefix ? this.states.get(prefix)?.objects.get(key) : undefined;
  }

  /** Objects under `keyPrefix` (a resource prefix, optionally with a namespace), in key order, starting after `startAfter`. */
  list(resourcePrefix: string, keyPrefix: string, startAfter?: string): { keys: string[]; objects: CachedObjects } {
    const s = this.states.get(resourcePrefix);
    if (!s) return { keys: [], objects: new CachedObjects() };
    const all = s.sortedKeys();
    let lo = 0;
    const from = startAfter !== undefined && startAfter > keyPrefix ? startAfter : keyPrefix;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]! < from || (startAfter !== undefined && all[mid] === startAfter)) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < all.length && all[end]!.startsWith(keyPrefix)) end++;
    return { keys: all.slice(lo, end), objects: s.objects };
  }

  /**
   * Registers a watcher on a resource, replaying events after `fromRevision` from the
   * window. Returns false when the window no longer covers `fromRevision`; then the
   * caller falls back to a store watch (which answers Compacted if history is gone).
   */
  watch(resourcePrefix: string, fromRevision: number, w: CacheWatcher): (() => void) | false {
    if (fromRevision < this.windowStart) return false;
    const s = this.state(resourcePrefix);
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const ev = this.ring[(this.ringStart + i) % n]!;
      if (ev.revision > fromRevision && ev.prefix === resourcePrefix) w.deliver(ev);
    }
    s.watchers.add(w);
    return () => s.watchers.delete(w);
  }

  /** Events for a watch older than the window, straight from the store's history. */
  watchFromStore(resourcePrefix: string, fromRevision: number, w: CacheWatcher): () => void {
    const handle = this.store.watch(
      resourcePrefix,
      fromRevision,
      (ev) => {
        const obj = ev.type === 'put' ? decode(ev.kv) : decode(ev.prevKv ?? ev.kv, ev.kv.modRevision);
        w.deliver({
          revision: ev.kv.modRevision,
          prefix: resourcePrefix,
          key: ev.kv.key,
          type: ev.type,
          created: ev.created,
          object: obj,
          prev: ev.prevKv ? decode(ev.prevKv) : undefined,
        });
      },
      (err) => w.terminate(err),
    );
    return () => handle.stop();
  }

  watcherCount(): number {
    let n = 0;
    for (const s of this.states.values()) n += s.watchers.size;
    return n;
  }
}
