// One Store watch over an etcd watch stream. The etcd3 library reconnects a broken
// stream by itself and resumes from the revision it last saw; two of its guesses at that
// revision are too far ahead (the header revision of the create response, and of a
// catch-up batch that etcd cut short), so we keep our own resume point and put it back.
import type { Etcd3, Watcher as EtcdWatcher, IKeyValue } from 'etcd3';
import { StoreError, type KeyValue, type StoreEvent, type Watcher } from './store.js';

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

/** The end of etcd's key range for a prefix: the prefix with its last byte raised ('' → all keys). */
export function prefixRangeEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix, 'utf8');
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i]! += 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

/** The start of etcd's key range for a prefix ('' has to be sent as a single zero byte). */
export function prefixRangeStart(prefix: string): Buffer {
  return prefix === '' ? Buffer.from([0]) : Buffer.from(prefix, 'utf8');
}

export interface EtcdWatchOptions {
  client: Etcd3;
  prefix: string;
  fromRevision: number;
  onEvent(ev: StoreEvent): void;
  onError?(err: Error): void;
  /** Explains a cancelled watch: Compacted when the resume point is gone, else Unavailable. */
  explainCancel(resumeAt: number, reason: string): Promise<StoreError>;
  /** Called once when the watch has ended, for whatever reason. */
  onEnded(w: EtcdWatch): void;
}

export class EtcdWatch implements Watcher {
  readonly prefix: string;
  /** Newest revision this watch has passed on (or was started after). */
  delivered: number;
  private readonly fromRevision: number;
  private readonly watcher: EtcdWatcher;
  private ended = false;
  private waiters: { revision: number; resolve: () => void }[] = [];

  constructor(private readonly opts: EtcdWatchOptions) {
    this.prefix = opts.prefix;
    this.fromRevision = opts.fromRevision;
    this.delivered = opts.fromRevision;
    this.watcher = opts.client
      .watch()
      .inRange({ start: prefixRangeStart(opts.prefix), end: prefixRangeEnd(opts.prefix) })
      .withPreviousKV()
      .startRevision(String(opts.fromRevision + 1))
      .watcher();
    // Our listeners run after the library's own, which have just moved the resume point.
    this.watcher.on('connected', () => this.setResumePoint());
    this.watcher.on('data', (res) => {
      if (this.ended) return;
      for (const ev of res.events) {
        const rev = Number(ev.kv.mod_revision);
        // Never pass on history twice, should a resumed stream repeat some. Equal revisions
        // are kept: one etcd transaction can change several keys at one revision.
        if (rev < this.delivered) continue;
        if (!this.deliver(ev.type === 'Delete' ? 'delete' : 'put', ev.kv, ev.prev_kv)) return;
        this.delivered = rev;
      }
      // An empty response is a progress notice: nothing under the prefix up to its header.
      if (res.events.length === 0 && res.header) this.delivered = Math.max(this.delivered, Number(res.header.revision));
      this.setResumePoint();
      this.wake();
    });
    this.watcher.on('error', (err: Error) => {
      if (this.ended) return;
      const resumeAt = this.delivered + 1;
      void opts.explainCancel(resumeAt, err.message).then(
        (e) => this.fail(e),
        () => this.fail(new StoreError('Unavailable', `etcd watch on ${JSON.stringify(opts.prefix)} ended: ${err.message}`)),
      );
    });
    // 'disconnected' needs no action: the library reconnects and we resume where we were.
    this.watcher.on('disconnected', () => {});
  }

  /** Resolves once this watch has passed on `revision` (or has ended). */
  until(revision: number): Promise<void> {
    if (this.ended || revision <= this.delivered || revision <= this.fromRevision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  stop(): void {
    if (this.ended) return;
    this.end();
  }

  /** Ends the watch and tells the consumer why. */
  fail(err: Error): void {
    if (this.ended) return;
    this.end();
    try {
      this.opts.onError?.(err);
    } catch {
      // The consumer's error handler failing must not break the store.
    }
  }

  private end(): void {
    this.ended = true;
    void this.watcher.cancel().catch(() => {});
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
    this.opts.onEnded(this);
  }

  private setResumePoint(): void {
    (this.watcher.request as { start_revision?: number | string }).start_revision = this.delivered + 1;
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const ready = this.waiters.filter((w) => w.revision <= this.delivered);
    this.waiters = this.waiters.filter((w) => w.revision > this.delivered);
    for (const w of ready) w.resolve();
  }

  /** Passes one etcd event on; false when the consumer threw (and the watch has ended). */
  private deliver(type: 'put' | 'delete', kv: IKeyValue, prev: IKeyValue | undefined): boolean {
    const prevKv = prev ? toKeyValue(prev) : undefined;
    let ev: StoreEvent;
    if (type === 'put') {
      const cur = toKeyValue(kv);
      ev = { type, kv: cur, created: cur.createRevision === cur.modRevision };
      if (prevKv) ev.prevKv = prevKv;
    } else {
      // etcd's delete event carries only the key and the delete's revision; the Store
      // contract wants the last value, which prev_kv holds.
      const modRevision = Number(kv.mod_revision);
      ev = {
        type,
        kv: { key: kv.key.toString('utf8'), value: prevKv?.value ?? '', createRevision: prevKv?.createRevision ?? 0, modRevision },
        created: false,
      };
      if (prevKv) ev.prevKv = prevKv;
    }
    try {
      this.opts.onEvent(ev);
      return true;
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
  }
}
