// The Store over etcd v3: the keys are stored as they are (/registry/...), revisions are
// etcd's own, and every guarded write is one Txn that compares the key's mod revision, as
// kube-apiserver's etcd3 storage does. Several servers can share one etcd.
import { Etcd3, type IKeyValue, type IRangeRequest } from 'etcd3';
import { EtcdWatch, prefixRangeEnd, prefixRangeStart, toKeyValue } from './etcd-watch.js';
import { StoreError, type KeyValue, type ListOptions, type ListResult, type Store, type StoreEvent, type Watcher } from './store.js';

export interface EtcdStoreOptions {
  /** Client URLs, e.g. ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']. */
  endpoints: string[];
  /** Deadline of each call; default 10 s. */
  callTimeoutMs?: number;
  /** How long a write waits for this process's watchers to see it; default 5 s. */
  watchLagLimitMs?: number;
}

const COMPACTED = 'required revision has been compacted';
const FUTURE = 'required revision is a future revision';

/** Parses --datastore-endpoint's etcd form: comma-separated http(s) URLs. */
export function parseEtcdEndpoints(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new Error(`invalid etcd endpoint ${JSON.stringify(part)}: expected a URL such as http://127.0.0.1:2379`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`invalid etcd endpoint ${JSON.stringify(part)}: only http:// and https:// are supported`);
    if (!url.port) throw new Error(`invalid etcd endpoint ${JSON.stringify(part)}: the port is required (etcd's client port is usually 2379)`);
    if (url.pathname !== '/' && url.pathname !== '') throw new Error(`invalid etcd endpoint ${JSON.stringify(part)}: a path is not allowed`);
    out.push(`${url.protocol}//${url.host}`);
  }
  if (!out.length) throw new Error(`no etcd endpoint in ${JSON.stringify(spec)}`);
  return out;
}

/** Doubling delays from `firstMs` up to `maxMs`, in the shape the etcd3 watch manager asks for. */
function cappedBackoff(firstMs: number, maxMs: number): { readonly duration: number; next(): ReturnType<typeof cappedBackoff> } {
  return { duration: firstMs, next: () => cappedBackoff(Math.min(firstMs * 2, maxMs), maxMs) };
}

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly watchers = new Set<EtcdWatch>();
  private readonly watchLagLimitMs: number;
  private closed = false;
  /** A lower bound of etcd's compacted revision: what we compacted or were told of. */
  private knownCompacted = 0;

  private constructor(private readonly opts: EtcdStoreOptions) {
    const timeout = opts.callTimeoutMs ?? 10_000;
    this.watchLagLimitMs = opts.watchLagLimitMs ?? 5_000;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      dialTimeout: Math.min(timeout, 5_000),
      // The watch cache loads every object in one list at start; grpc-js would refuse
      // a reply over 4 MiB. etcd itself bounds what it sends.
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      // The library's default lets watch reconnects back off to 30 s: after etcd returns,
      // this server's watch cache would lag that long. Capped at 2 s instead.
      faultHandling: { watchBackoff: cappedBackoff(100, 2000) },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    });
  }

  /** Connects and checks that etcd answers, so a wrong endpoint fails at start with its name. */
  static async connect(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts);
    try {
      await store.currentRevision();
      await store.compactedRevision();
    } catch (err) {
      await store.close();
      throw new Error(`etcd at ${opts.endpoints.join(',')} is not reachable: ${(err as Error).message}`);
    }
    return store;
  }

  private check(): void {
    if (this.closed) throw new StoreError('Unavailable', 'store is closed');
  }

  /** Runs one etcd call, turning its errors into the Store's. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.check();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const msg = (err as Error).message ?? String(err);
      if (msg.includes(COMPACTED)) throw new StoreError('Compacted', `${what}: ${msg}`);
      throw new StoreError('Unavailable', `etcd ${what} (${this.opts.endpoints.join(',')}): ${msg}`);
    }
  }

  async get(key: string): Promise<KeyValue | null> {
    const res = await this.call(`get ${key}`, () => this.client.kv.range({ key: Buffer.from(key) }));
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : null;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    let start = prefixRangeStart(prefix);
    if (opts.startAfter !== undefined) {
      // The smallest key after startAfter is startAfter plus a zero byte.
      const after = Buffer.concat([Buffer.from(opts.startAfter), Buffer.from([0])]);
      if (Buffer.compare(after, start) > 0) start = after;
    }
    const end = prefixRangeEnd(prefix);
    const req: IRangeRequest = { key: start, range_end: end };
    if (opts.limit) req.limit = opts.limit;
    if (opts.revision) req.revision = opts.revision;
    if (opts.revision && opts.revision < this.knownCompacted)
      throw new StoreError('Compacted', `list ${prefix} at revision ${opts.revision}: compacted at ${this.knownCompacted}`);
    // Starting past the prefix's range (prefix '' has no end), nothing can match.
    const empty = prefix !== '' && Buffer.compare(start, end) >= 0;
    const res = empty
      ? undefined
      : await this.call(`list ${prefix}`, () =>
          this.client.kv.range(req).catch((err: Error) => {
            // As the embedded stores do, a revision not yet written reads as the newest state.
            if (!err.message?.includes(FUTURE)) throw err;
            const { revision: _future, ...current } = req;
            return this.client.kv.range(current);
          }),
        );
    const items = res ? res.kvs.map(toKeyValue) : [];
    const revision = opts.revision || Number(res?.header.revision ?? (await this.currentRevision()));
    const total = res ? Number(res.count) : 0;
    return { items, revision, more: res ? res.more : false, remaining: Math.max(0, total - items.length) };
  }

  async count(prefix: string): Promise<number> {
    const res = await this.call(`count ${prefix}`, () =>
      this.client.kv.range({ key: prefixRangeStart(prefix), range_end: prefixRangeEnd(prefix), count_only: true }),
    );
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<number> {
    const k = Buffer.from(key);
    const res = await this.call(`create ${key}`, () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
      }),
    );
    if (!res.succeeded) throw new StoreError('KeyExists', `key ${key} already exists`);
    const rev = Number(res.header.revision);
    await this.seenLocally(key, rev);
    return rev;
  }

  async update(key: string, value: string, expectedRevision: number): Promise<number> {
    const k = Buffer.from(key);
    const res = await this.call(`update ${key}`, () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
        success: [{ request_put: { key: k, value: Buffer.from(value) } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.guardFailed(key, expectedRevision, res.responses[0]?.response_range.kvs[0]);
    const rev = Number(res.header.revision);
    await this.seenLocally(key, rev);
    return rev;
  }

  async delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    const k = Buffer.from(key);
    const res = await this.call(`delete ${key}`, () =>
      this.client.kv.txn({
        // Without a guard the key must merely exist (create revision above zero).
        compare:
          expectedRevision === undefined
            ? [{ key: k, target: 'Create', result: 'Greater', create_revision: 0 }]
            : [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!res.succeeded) throw this.guardFailed(key, expectedRevision, res.responses[0]?.response_range.kvs[0]);
    const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
    // Another writer may delete the key between compare and delete only in another txn, never here.
    if (!prev) throw new StoreError('NotFound', `key ${key} not found`);
    const revision = Number(res.header.revision);
    await this.seenLocally(key, revision);
    return { revision, prev: toKeyValue(prev) };
  }

  private guardFailed(key: string, expected: number | undefined, current: IKeyValue | undefined): StoreError {
    if (!current) return new StoreError('NotFound', `key ${key} not found`);
    const cur = toKeyValue(current);
    return new StoreError('Conflict', `key ${key} is at revision ${cur.modRevision}, not ${expected}`, cur);
  }

  /**
   * Waits until this process's watchers of the key have seen a write, so that, as with the
   * embedded store, a caller who wrote can read its write from anything fed by a watch.
   * Bounded: a stalled watch stream delays writes by at most watchLagLimitMs.
   */
  private async seenLocally(key: string, revision: number): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const w of this.watchers) if (key.startsWith(w.prefix) && w.delivered < revision) waits.push(w.until(revision));
    if (!waits.length) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(waits),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.watchLagLimitMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void, onError?: (err: Error) => void): Watcher {
    this.check();
    if (fromRevision < this.knownCompacted)
      throw new StoreError('Compacted', `watch ${prefix} from revision ${fromRevision}: compacted at ${this.knownCompacted}`);
    const w = new EtcdWatch({
      client: this.client,
      prefix,
      fromRevision,
      onEvent,
      onError,
      explainCancel: async (resumeAt, reason) => {
        const compacted = await this.compactedRevision();
        if (resumeAt < compacted) return new StoreError('Compacted', `watch ${prefix} from revision ${resumeAt - 1}: compacted at ${compacted}`);
        return new StoreError('Unavailable', `etcd watch on ${JSON.stringify(prefix)} ended: ${reason}`);
      },
      onEnded: (ended) => this.watchers.delete(ended),
    });
    this.watchers.add(w);
    return w;
  }

  async currentRevision(): Promise<number> {
    const res = await this.call('read the revision', () => this.client.kv.range({ key: Buffer.from([0]), count_only: true }));
    return Number(res.header.revision);
  }

  /** True when etcd can still read at `revision`. */
  private async readableAt(revision: number): Promise<boolean> {
    try {
      await this.call(`read at revision ${revision}`, () => this.client.kv.range({ key: Buffer.from([0]), count_only: true, revision }));
      return true;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'Compacted') return false;
      throw err;
    }
  }

  /**
   * etcd does not report its compacted revision, but it refuses reads below it. Another
   * server may have compacted since we last looked, so: one read at what we know (the usual
   * answer: nothing changed), else a binary search up to the current revision.
   */
  async compactedRevision(): Promise<number> {
    const known = this.knownCompacted;
    if (await this.readableAt(Math.max(known, 1))) return known;
    let lo = known + 1; // unreadable
    let hi = await this.currentRevision(); // always readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.readableAt(mid)) hi = mid;
      else lo = mid;
    }
    this.knownCompacted = Math.max(this.knownCompacted, hi);
    return this.knownCompacted;
  }

  async compact(revision: number): Promise<void> {
    this.check();
    const target = Math.min(revision, await this.currentRevision());
    if (target <= this.knownCompacted || target <= 0) return;
    try {
      await this.call(`compact to ${target}`, () => this.client.kv.compact({ revision: target }));
      this.knownCompacted = target;
    } catch (err) {
      // Another server compacted further already: that is the state we wanted.
      if (err instanceof StoreError && err.code === 'Compacted') {
        await this.compactedRevision();
        return;
      }
      if ((err as Error).message.includes(FUTURE)) return;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.fail(new StoreError('Unavailable', 'store is closed'));
    this.client.close();
  }
}
