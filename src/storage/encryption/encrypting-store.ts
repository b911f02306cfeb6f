// A Store that seals the values of configured resources before they reach the backend and
// opens them on the way back, so neither SQLite's file nor etcd ever holds them in the
// clear. Everything above it (watch cache, resource store) sees plain values; revisions,
// watches and errors pass through unchanged.
import type { KeyValue, ListOptions, ListResult, Store, StoreEvent, Watcher } from '../store.js';
import { StoreError } from '../store.js';
import { type Sealer, sealerFor } from './providers.js';

/** The sealers for a storage key, first one sealing; undefined: the key's values are stored as they are. */
export type SealerRouter = (key: string) => Sealer[] | undefined;

export class EncryptingStore implements Store {
  constructor(
    private readonly inner: Store,
    private route: SealerRouter,
  ) {}

  /** Takes a new configuration (a reload or a key rotation) for every read and write from now on. */
  setRouter(route: SealerRouter): void {
    this.route = route;
  }

  /** The sealer that wrote a stored value, or undefined when its key is not under encryption. */
  sealedWith(kv: KeyValue): Sealer | undefined {
    const sealers = this.route(kv.key);
    return sealers && sealerFor(sealers, kv.value);
  }

  /** Whether a stored value is sealed by the sealer that writes its key today. */
  isCurrent(kv: KeyValue): boolean {
    const sealers = this.route(kv.key);
    return !sealers || sealerFor(sealers, kv.value) === sealers[0];
  }

  async isStale(key: string): Promise<boolean> {
    const kv = await this.inner.get(key);
    return !!kv && !this.isCurrent(kv);
  }

  private seal(key: string, value: string): string {
    const sealers = this.route(key);
    return sealers?.length ? sealers[0]!.seal(value, key) : value;
  }

  private open(kv: KeyValue): KeyValue;
  private open(kv: KeyValue | undefined): KeyValue | undefined;
  private open(kv: KeyValue | undefined): KeyValue | undefined {
    if (!kv) return kv;
    const sealers = this.route(kv.key);
    if (!sealers) return kv;
    const sealer = sealerFor(sealers, kv.value);
    if (!sealer) throw new Error(`cannot read ${kv.key}: no configured encryption provider matches the stored value's prefix`);
    try {
      return { ...kv, value: sealer.open(kv.value, kv.key) };
    } catch (err) {
      throw new Error(`cannot read ${kv.key} with ${sealer.id}: ${(err as Error).message}`);
    }
  }

  private openError(err: unknown): unknown {
    if (err instanceof StoreError && err.current) return new StoreError(err.code, err.message, this.open(err.current));
    return err;
  }

  async get(key: string): Promise<KeyValue | null> {
    const kv = await this.inner.get(key);
    return kv && this.open(kv);
  }

  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const r = await this.inner.list(prefix, opts);
    return { ...r, items: r.items.map((kv) => this.open(kv)) };
  }

  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }

  create(key: string, value: string): Promise<number> {
    return this.inner.create(key, this.seal(key, value)).catch((err) => Promise.reject(this.openError(err)));
  }

  update(key: string, value: string, expectedRevision: number): Promise<number> {
    return this.inner.update(key, this.seal(key, value), expectedRevision).catch((err) => Promise.reject(this.openError(err)));
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    try {
      const r = await this.inner.delete(key, expectedRevision);
      return { revision: r.revision, prev: this.open(r.prev) };
    } catch (err) {
      throw this.openError(err);
    }
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void, onError?: (err: Error) => void): Watcher {
    return this.inner.watch(
      prefix,
      fromRevision,
      (ev) => {
        let opened: StoreEvent;
        try {
          opened = { ...ev, kv: this.open(ev.kv), prevKv: this.open(ev.prevKv) };
        } catch (err) {
          // A value nobody can read must not silently vanish from the event stream.
          onError?.(err as Error);
          return;
        }
        onEvent(opened);
      },
      onError,
    );
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  compact(revision: number): Promise<void> {
    return this.inner.compact(revision);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
