// A small in-memory stand-in for the apiserver, speaking the Transport interface, for unit
// tests of the client. It keeps a global revision, an event history per resource (so
// watches can resume), and can forget history to force 410 Expired, like compaction does.
import type { KObject } from '../../src/api/types.js';
import { ApiError, type RequestOptions, type StatusBody, type Transport, type WatchHandlers } from '../../src/client/transport.js';

interface Parsed {
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface Watcher {
  resource: string;
  namespace?: string;
  handlers: WatchHandlers;
  open: boolean;
}

export function parsePath(path: string): Parsed {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  return { resource: rest[0]!, namespace, name: rest[1], subresource: rest[2] };
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o));

function status(code: number, reason: string, message: string): StatusBody {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

export class FakeApi implements Transport {
  rv = 100;
  readonly objects = new Map<string, Map<string, KObject>>();
  history: { rv: number; resource: string; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KObject }[] = [];
  /** Watches from a revision below this get 410. */
  compactedRV = 0;
  /** How a too-old watch is refused: an ERROR event (as kube-apiserver does) or an HTTP 410. */
  goneMode: 'event' | 'http' = 'event';
  /** While true, events are kept from open watches (a stalled connection). */
  suspended = false;
  readonly watchers = new Set<Watcher>();
  readonly requests: RequestOptions[] = [];
  readonly watchQueries: Record<string, unknown>[] = [];
  /** Answers for the next requests, before normal handling (fault injection). */
  failNext: ApiError[] = [];

  private bucket(resource: string): Map<string, KObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }

  private key(ns: string | undefined, name: string): string {
    return ns ? `${ns}/${name}` : name;
  }

  private emit(resource: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KObject): void {
    this.history.push({ rv: this.rv, resource, type, object: clone(object) });
    if (this.suspended) return;
    for (const w of this.watchers) this.deliver(w, resource, type, object);
  }

  private deliver(w: Watcher, resource: string, type: string, object: KObject): void {
    if (!w.open || w.resource !== resource) return;
    if (w.namespace && object.metadata?.namespace !== w.namespace) return;
    const ev = { type: type as any, object: clone(object) };
    setImmediate(() => w.open && w.handlers.onEvent(ev));
  }

  /** Creates or replaces an object server-side, as another client would. */
  put(resource: string, obj: KObject): KObject {
    const b = this.bucket(resource);
    const k = this.key(obj.metadata?.namespace, obj.metadata!.name);
    const existed = b.has(k);
    this.rv++;
    const stored = clone({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } });
    b.set(k, stored);
    this.emit(resource, existed ? 'MODIFIED' : 'ADDED', stored);
    return clone(stored);
  }

  remove(resource: string, ns: string | undefined, name: string): void {
    const b = this.bucket(resource);
    const k = this.key(ns, name);
    const old = b.get(k);
    if (!old) return;
    b.delete(k);
    this.rv++;
    this.emit(resource, 'DELETED', { ...old, metadata: { ...old.metadata, resourceVersion: String(this.rv) } });
  }

  /** Forgets all history: every watch from an older revision now gets 410. */
  compact(): void {
    this.compactedRV = this.rv;
    this.history = [];
  }

  /** Ends every open watch, as a server restart or a timeout would. */
  endWatches(err?: Error): void {
    for (const w of [...this.watchers]) {
      w.open = false;
      this.watchers.delete(w);
      setImmediate(() => w.handlers.onClose(err));
    }
  }

  async request(opts: RequestOptions): Promise<any> {
    this.requests.push(opts);
    await new Promise((r) => setImmediate(r));
    const injected = this.failNext.shift();
    if (injected) throw injected;
    const p = parsePath(opts.path);
    const b = this.bucket(p.resource);
    const q = opts.query ?? {};
    if (opts.method === 'GET' && !p.name) return this.list(p, q);
    if (opts.method === 'GET') {
      const obj = b.get(this.key(p.namespace, p.name!));
      if (!obj) throw ApiError.fromStatus(404, status(404, 'NotFound', `${p.resource} "${p.name}" not found`));
      return clone(obj);
    }
    const body = clone(opts.body as KObject);
    if (opts.method === 'POST' && !p.name) {
      const k = this.key(p.namespace, body.metadata!.name);
      if (b.has(k)) throw ApiError.fromStatus(409, status(409, 'AlreadyExists', `${p.resource} "${body.metadata!.name}" already exists`));
      return this.put(p.resource, { ...body, metadata: { ...body.metadata, namespace: p.namespace } });
    }
    if (opts.method === 'PUT') {
      const old = b.get(this.key(p.namespace, p.name!));
      if (!old) throw ApiError.fromStatus(404, status(404, 'NotFound', 'not found'));
      if (body.metadata?.resourceVersion && body.metadata.resourceVersion !== old.metadata!.resourceVersion) {
        throw ApiError.fromStatus(409, status(409, 'Conflict', 'the object has been modified'));
      }
      return this.put(p.resource, body);
    }
    if (opts.method === 'DELETE' && p.name) {
      this.remove(p.resource, p.namespace, p.name);
      return { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 200 };
    }
    throw ApiError.fromStatus(405, status(405, 'MethodNotAllowed', `${opts.method} not supported by the fake`));
  }

  private list(p: Parsed, q: Record<string, unknown>) {
    const all = [...this.bucket(p.resource).entries()]
      .filter(([, o]) => !p.namespace || o.metadata?.namespace === p.namespace)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    let start = 0;
    let rv = String(this.rv);
    if (q.continue) {
      const c = JSON.parse(String(q.continue));
      if (Number(c.rv) < this.compactedRV) throw ApiError.fromStatus(410, status(410, 'Expired', 'continue token expired'));
      start = all.findIndex(([k]) => k > c.after);
      if (start < 0) start = all.length;
      rv = c.rv;
    }
    const limit = Number(q.limit ?? 0) || all.length;
    const page = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      kind: 'List',
      apiVersion: 'v1',
      metadata: { resourceVersion: rv, ...(more ? { continue: JSON.stringify({ rv, after: page[page.length - 1]![0] }) } : {}) },
      // Without apiVersion/kind, as kube-apiserver sends list items.
      items: page.map(([, o]) => {
        const { apiVersion: _a, kind: _k, ...rest } = clone(o);
        return rest;
      }),
    };
  }

  watch(path: string, query: RequestOptions['query'], handlers: WatchHandlers): { stop(): void } {
    const q = query ?? {};
    this.watchQueries.push({ path, ...q });
    const p = parsePath(path);
    const w: Watcher = { resource: p.resource, namespace: p.namespace, handlers, open: true };
    const from = Number(q.resourceVersion ?? this.rv);
    if (from < this.compactedRV) {
      w.open = false;
      const st = status(410, 'Expired', `too old resource version: ${from} (${this.compactedRV})`);
      setImmediate(() => {
        if (this.goneMode === 'http') return handlers.onClose(ApiError.fromStatus(410, st));
        handlers.onEvent({ type: 'ERROR', object: st as unknown as KObject });
        handlers.onClose();
      });
      return { stop() {} };
    }
    this.watchers.add(w);
    for (const h of this.history) if (h.rv > from) this.deliver(w, h.resource, h.type, h.object);
    return {
      stop: () => {
        w.open = false;
        this.watchers.delete(w);
      },
    };
  }
}

/** Wraps a transport so a test can cut it off, as a network partition would. */
export class CuttableTransport implements Transport {
  down = false;
  constructor(private readonly inner: Transport) {}
  async request(opts: RequestOptions): Promise<any> {
    if (this.down) throw new Error('connect ECONNREFUSED (test partition)');
    return this.inner.request(opts);
  }
  watch(path: string, query: RequestOptions['query'], handlers: WatchHandlers): { stop(): void } {
    if (this.down) {
      setImmediate(() => handlers.onClose(new Error('connect ECONNREFUSED (test partition)')));
      return { stop() {} };
    }
    return this.inner.watch(path, query, handlers);
  }
}

/** Polls `cond` every few ms until it holds, failing after `ms`. */
export async function until(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
