// A shared informer keeps a local, always-converging copy of one resource (optionally one
// namespace or selector) and tells handlers what changed. Same shape as client-go's
// reflector + indexer + shared processor: list, then watch from the list's version; when
// that version is gone (410), list again and hand out the difference.
import type { KObject } from '../api/types.js';
import { ApiError, type StatusBody } from './transport.js';
import { isGone, type ResourceClient, type TypedWatchEvent } from './client.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { Indexer, objectKey, type IndexFunc, type Store } from './cache.js';
import { deepFreeze } from '../util/clone.js';

/**
 * Called synchronously, in the order of changes, after the store reflects the change.
 * Handlers should be quick (typically: add a key to a work queue). Objects are frozen:
 * copy before changing (structuredClone).
 */
export interface EventHandlers<T> {
  /** `isInInitialList`: the object was in the first list, or existed when the handler was added. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called with old === new on every resync. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** When the deletion was only inferred from a re-list, `obj` is the last state this cache saw. */
  onDelete?(obj: T): void;
}

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Resync period for handlers that do not set their own; default 0 (none). */
  resyncPeriodMs?: number;
  /** List page size; default 500. */
  pageSize?: number;
  indexers?: Record<string, IndexFunc<T>>;
  /** Deep-freeze cached objects; default true. */
  freeze?: boolean;
  /** Back-off between failed lists/watches; default 800 ms doubling to 30 s, jittered. */
  backoff?: BackoffOptions;
  /** Server-side watch timeout; default a random 300–600 s so watches do not all renew at once. */
  watchTimeoutSeconds?: number;
  /** Hears about failed lists and watches and throwing handlers; default console.warn. */
  onError?(err: unknown): void;
}

export interface HandlerRegistration {
  remove(): void;
}

interface Registration<T> {
  handlers: EventHandlers<T>;
  resyncMs: number;
  timer?: NodeJS.Timeout;
}

function rvOf(obj: unknown): string | undefined {
  return (obj as KObject | undefined)?.metadata?.resourceVersion;
}

function statusError(s: StatusBody): ApiError {
  return new ApiError(s?.code ?? 500, s?.reason ?? 'Unknown', s?.message ?? 'watch error', s);
}

export class SharedInformer<T = KObject> {
  private readonly indexer: Indexer<T>;
  private readonly registrations = new Set<Registration<T>>();
  private readonly backoff: Backoff;
  private readonly syncWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private started = false;
  private stopped = false;
  private synced = false;
  private lastRV: string | undefined;
  private cancelWatch: (() => void) | undefined;
  private cancelPause: (() => void) | undefined;
  /** Events applied by the current (or last) watch. */
  private watchEvents = 0;

  constructor(
    readonly client: ResourceClient<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.indexer = new Indexer<T>(opts.indexers, (e) => this.report(e));
    this.backoff = new Backoff(opts.backoff);
  }

  /** The cache. Read-only by contract; its objects are frozen. */
  get store(): Store<T> {
    return this.indexer;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.indexer.getByName(name, namespace);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  lastSyncResourceVersion(): string | undefined {
    return this.lastRV;
  }

  /** Resolves once the first list is in the cache and delivered; rejects if stopped first. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (this.stopped) return Promise.reject(new Error(`informer for ${this.client.type.resource} stopped before syncing`));
    return new Promise((resolve, reject) => this.syncWaiters.push({ resolve, reject }));
  }

  /**
   * A handler added to a running informer first receives onAdd for everything already
   * cached. `resyncPeriodMs` overrides the informer's default for this handler (0: none).
   */
  addEventHandler(handlers: EventHandlers<T>, opts: { resyncPeriodMs?: number } = {}): HandlerRegistration {
    const reg: Registration<T> = { handlers, resyncMs: opts.resyncPeriodMs ?? this.opts.resyncPeriodMs ?? 0 };
    if (this.synced) for (const obj of this.indexer.list()) this.call(() => handlers.onAdd?.(obj, true));
    this.registrations.add(reg);
    if (this.started && !this.stopped) this.startResync(reg);
    return {
      remove: () => {
        clearInterval(reg.timer);
        this.registrations.delete(reg);
      },
    };
  }

  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  /** Starts listing and watching; idempotent. An informer cannot be restarted once stopped. */
  start(): void {
    if (this.stopped) throw new Error('a stopped informer cannot be started again');
    if (this.started) return;
    this.started = true;
    for (const reg of this.registrations) this.startResync(reg);
    void this.run();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelWatch?.();
    this.cancelPause?.();
    for (const reg of this.registrations) clearInterval(reg.timer);
    const err = new Error(`informer for ${this.client.type.resource} stopped before syncing`);
    for (const w of this.syncWaiters.splice(0)) w.reject(err);
  }

  private report(err: unknown): void {
    if (this.opts.onError) this.opts.onError(err);
    else console.warn(`informer ${this.client.type.resource}: ${(err as Error)?.message ?? err}`);
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.report(e);
    }
  }

  private dispatch(fn: (h: EventHandlers<T>) => void): void {
    for (const reg of [...this.registrations]) this.call(() => fn(reg.handlers));
  }

  private startResync(reg: Registration<T>): void {
    if (reg.resyncMs <= 0 || reg.timer) return;
    reg.timer = setInterval(() => {
      if (!this.synced || this.stopped) return;
      for (const obj of this.indexer.list()) this.call(() => reg.handlers.onUpdate?.(obj, obj));
    }, reg.resyncMs);
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.cancelPause = done;
    });
  }

  private async run(): Promise<void> {
    let needList = true;
    let goneBefore = false;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.listAndReplace();
          needList = false;
        }
        if (this.stopped) break;
        const startedAt = Date.now();
        await this.watchOnce();
        goneBefore = false;
        // A watch that closes at once and says nothing is a server in trouble: do not spin.
        if (this.watchEvents === 0 && Date.now() - startedAt < 1000) await this.pause(this.backoff.next());
        else this.backoff.reset();
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) {
          needList = true;
          // Expiry is routine once; twice in a row with nothing in between is not.
          if (goneBefore && this.watchEvents === 0) await this.pause(this.backoff.next());
          goneBefore = true;
          continue;
        }
        this.report(err);
        await this.pause(this.backoff.next());
      }
    }
  }

  private freeze(obj: T): T {
    return this.opts.freeze === false ? obj : deepFreeze(obj);
  }

  /** Client-go's Replace: make the cache equal to a fresh list, announcing only what changed. */
  private async listAndReplace(): Promise<void> {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    // The first list asks for any recent state (resourceVersion 0), as client-go's reflector
    // does: the apiserver answers it whole from its watch cache, which stays fast on a large
    // data dir; the watch then brings what is newer.
    const list = await this.client.listAll({
      namespace,
      labelSelector,
      fieldSelector,
      limit: this.opts.pageSize ?? 500,
      resourceVersion: this.synced ? undefined : '0',
    });
    if (this.stopped) return;
    const initial = !this.synced;
    const fresh = new Map<string, T>();
    for (const item of list.items) fresh.set(objectKey(item), item);
    for (const [key, item] of fresh) {
      const old = this.indexer.get(key);
      if (old !== undefined && rvOf(old) !== undefined && rvOf(old) === rvOf(item)) continue;
      const obj = this.freeze(item);
      this.indexer.set(key, obj);
      if (old === undefined) this.dispatch((h) => h.onAdd?.(obj, initial));
      else this.dispatch((h) => h.onUpdate?.(old, obj));
    }
    for (const key of this.indexer.listKeys()) {
      if (fresh.has(key)) continue;
      const old = this.indexer.delete(key)!;
      this.dispatch((h) => h.onDelete?.(old));
    }
    this.lastRV = list.metadata.resourceVersion;
    this.backoff.reset();
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w.resolve();
    }
  }

  /** Resolves when the watch ends cleanly; rejects on error. */
  private watchOnce(): Promise<void> {
    this.watchEvents = 0;
    return new Promise<void>((resolve, reject) => {
      const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
      let done = false;
      let handle: { stop(): void } | undefined;
      let stopWhenOpened = false;
      // Guards against a stream that went silent without closing (lost connection).
      const watchdog = setTimeout(() => finish(undefined, true), (timeoutSeconds + 30) * 1000);

      const finish = (err: unknown, stopTransport: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(watchdog);
        this.cancelWatch = undefined;
        if (stopTransport) {
          if (handle) handle.stop();
          else stopWhenOpened = true;
        }
        if (err) reject(err);
        else resolve();
      };
      this.cancelWatch = () => finish(undefined, true);

      // The transport may call back before watch() returns; `handle` is then still unset.
      try {
        handle = this.openWatch(
          timeoutSeconds,
          (ev) => {
            if (done) return;
            try {
              this.apply(ev);
              this.watchEvents++;
            } catch (e) {
              finish(e, true);
            }
          },
          (err) => finish(err, false),
        );
      } catch (e) {
        finish(e, false);
        return;
      }
      if (stopWhenOpened) handle.stop();
    });
  }

  private openWatch(timeoutSeconds: number, onEvent: (ev: TypedWatchEvent<T>) => void, onClose: (err?: Error) => void): { stop(): void } {
    const { namespace, labelSelector, fieldSelector } = this.opts;
    return this.client.watch(
      { namespace, labelSelector, fieldSelector, resourceVersion: this.lastRV, allowWatchBookmarks: true, timeoutSeconds },
      { onEvent, onClose },
    );
  }

  private apply(ev: TypedWatchEvent<T>): void {
    if (ev.type === 'ERROR') throw statusError(ev.object);
    const rv = rvOf(ev.object);
    if (rv) this.lastRV = rv;
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
    let key: string;
    try {
      key = objectKey(ev.object);
    } catch (e) {
      // Re-watching would only bring the same event back; skip it and say so.
      this.report(new Error(`${ev.type} event for an object without a name: ${(e as Error).message}`));
      return;
    }
    const obj = this.freeze(ev.object);
    if (ev.type === 'DELETED') {
      this.indexer.delete(key);
      this.dispatch((h) => h.onDelete?.(obj));
    } else {
      const old = this.indexer.set(key, obj);
      if (old === undefined) this.dispatch((h) => h.onAdd?.(obj, false));
      else this.dispatch((h) => h.onUpdate?.(old, obj));
    }
  }
}
