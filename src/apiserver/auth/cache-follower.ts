// Keeps an authorizer's index current from the watch cache: the objects of one resource
// are listed once, then every change is handed over as it is applied. Synchronous, so the
// index is never behind the cache a request was answered from.
import type { KObject } from '../../api/types.js';
import type { CachedEvent, WatchCache } from '../watch-cache.js';

export interface FollowHandlers {
  put(key: string, obj: KObject, prev: KObject | undefined): void;
  remove(key: string, last: KObject): void;
  /** The cache started over: forget everything before the objects are handed over again. */
  reset(): void;
}

const RESYNC_DELAY_MS = 500;

export class CacheFollower {
  private cancel?: () => void;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly cache: WatchCache,
    private readonly prefix: string,
    private readonly h: FollowHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.sync();
  }

  private sync(): void {
    this.h.reset();
    const { keys, objects } = this.cache.list(this.prefix, this.prefix);
    for (const k of keys) this.h.put(k, objects.get(k)!, undefined);
    const cancel = this.cache.watch(this.prefix, this.cache.revision, {
      deliver: (ev: CachedEvent) => {
        if (ev.type === 'put') this.h.put(ev.key, ev.object, ev.prev);
        else this.h.remove(ev.key, ev.object);
      },
      terminate: (err?: Error) => {
        this.cancel = undefined;
        // The cache reloads after a failed store watch; follow it again once it has.
        if (err && !this.stopped) {
          this.timer = setTimeout(() => this.sync(), RESYNC_DELAY_MS);
          this.timer.unref();
        }
      },
    });
    this.cancel = cancel || undefined;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.cancel?.();
  }
}
