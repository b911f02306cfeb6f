// In-process apiserver for behavioural tests: no TLS, no HTTP. Requests are written as
// Kubernetes URL paths and go through the same ApiHandler the HTTPS server uses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinRegistry } from '../../src/api/builtin.js';
import type { KObject } from '../../src/api/types.js';
import { ApiServer } from '../../src/apiserver/apiserver.js';
import { parseResourcePath } from '../../src/apiserver/request-info.js';
import { StatusError } from '../../src/apiserver/status.js';
import type { ApiRequest, ApiResult, WatchEvent, WatchHandle } from '../../src/apiserver/types.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import type { Store } from '../../src/storage/store.js';
import { EtcdStore } from '../../src/storage/etcd.js';
import { startEtcd } from '../helpers/etcd.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | undefined> | string | URLSearchParams;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  /** merge | json | strategic, or a full content type. Default for PATCH: merge. */
  patch?: string;
}

const PATCH_TYPES: Record<string, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

export const ADMIN = { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] };

function toParams(q: Query | undefined): URLSearchParams {
  if (q === undefined) return new URLSearchParams();
  if (typeof q === 'string' || q instanceof URLSearchParams) return new URLSearchParams(q);
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  return p;
}

/** A Status as a client receives it: the StatusError serialised. */
export type Status = Record<string, any> & { kind: 'Status'; code: number; reason: string; message: string };

/** Collects the events of one watch. */
export class WatchRecorder {
  readonly events: WatchEvent[] = [];
  ended = false;
  handle?: WatchHandle;
  private wake: (() => void)[] = [];

  push(ev: WatchEvent): void {
    // Events may be the cache's frozen objects; copy so assertions see a snapshot.
    this.events.push(JSON.parse(JSON.stringify(ev)) as WatchEvent);
    this.notify();
  }
  end(): void {
    this.ended = true;
    this.notify();
  }
  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** Resolves once `pred` holds over the events so far; fails after `timeoutMs`. */
  async until(pred: (evs: WatchEvent[]) => boolean, timeoutMs = 2000, what = 'condition'): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.events)) {
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`watch: timed out waiting for ${what}; got ${JSON.stringify(this.summary())}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.min(left, 50));
        this.wake.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    return this.events;
  }

  /** Waits until at least `n` events arrived. */
  count(n: number, timeoutMs = 2000): Promise<WatchEvent[]> {
    return this.until((e) => e.length >= n, timeoutMs, `${n} events`);
  }

  /** Lets pending deliveries happen, so a test can assert that nothing more arrived. */
  async settle(ms = 30): Promise<WatchEvent[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.events;
  }

  /** [type, name] pairs, for compact assertions. */
  summary(): [string, string][] {
    return this.events.map((e) => [e.type, e.object?.metadata?.name ?? (e.object as any)?.reason ?? '']);
  }

  stop(): void {
    this.handle?.stop();
  }
}

export class TestApi {
  private watches: WatchRecorder[] = [];

  private constructor(
    readonly api: ApiServer,
    readonly store: Store,
    private readonly cleanup: () => void | Promise<void>,
  ) {}

  /**
   * A bootstrapped apiserver (system namespaces exist) over a fresh store. Without a kind,
   * SKIFF_TEST_STORE=etcd runs it over a fresh real etcd instead of memory, so the same
   * behavioural tests check the apiserver on etcd.
   */
  static async start(kind?: 'memory' | 'sqlite' | 'etcd'): Promise<TestApi> {
    kind ??= process.env.SKIFF_TEST_STORE === 'etcd' ? 'etcd' : 'memory';
    let store: Store;
    let cleanup: () => void | Promise<void> = () => {};
    if (kind === 'etcd') {
      const etcd = await startEtcd();
      store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
      cleanup = () => etcd.stop();
    } else if (kind === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-apiserver-test-'));
      store = SqliteStore.open(join(dir, 'state.db'), { compactEvery: 0 });
      cleanup = () => rmSync(dir, { recursive: true, force: true });
    } else store = new MemoryStore();
    const api = new ApiServer({ store, registry: builtinRegistry(), tls: undefined as any, bindAddress: '127.0.0.1', port: 0 });
    await api.cache.start();
    await (api as any).bootstrap();
    return new TestApi(api, store, cleanup);
  }

  request(method: Method, path: string, opts: CallOptions = {}): ApiRequest {
    const query = toParams(opts.query);
    const info = parseResourcePath(method, path, query);
    if (!info) throw new Error(`not a resource path: ${path}`);
    return {
      ...info,
      query,
      body: opts.body,
      patchType: method === 'PATCH' ? (PATCH_TYPES[opts.patch ?? 'merge'] ?? opts.patch) : undefined,
      user: ADMIN,
    };
  }

  /** The full result (status code and body). */
  call(method: Method, path: string, opts: CallOptions = {}): Promise<ApiResult> {
    return this.api.handler.handle(this.request(method, path, opts));
  }

  async get(path: string, query?: Query): Promise<KObject> {
    return copy((await this.call('GET', path, { query })).body);
  }
  async post(path: string, body: unknown, query?: Query): Promise<KObject> {
    return copy((await this.call('POST', path, { body, query })).body);
  }
  async put(path: string, body: unknown, query?: Query): Promise<KObject> {
    return copy((await this.call('PUT', path, { body, query })).body);
  }
  async patch(path: string, patch: string, body: unknown, query?: Query): Promise<KObject> {
    return copy((await this.call('PATCH', path, { body, patch, query })).body);
  }
  async del(path: string, query?: Query, body?: unknown): Promise<KObject> {
    return copy((await this.call('DELETE', path, { query, body })).body);
  }

  /** The request must fail with a StatusError; returns the Status a client would get. */
  async fail(method: Method, path: string, opts: CallOptions = {}): Promise<Status> {
    try {
      const r = await this.call(method, path, opts);
      return assert.fail(`${method} ${path} succeeded with ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    } catch (err) {
      if (!(err instanceof StatusError)) throw err;
      return err.toStatus() as Status;
    }
  }

  /** Whether an object exists (GET answers 200 rather than 404). */
  async exists(path: string): Promise<boolean> {
    try {
      await this.call('GET', path);
      return true;
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return false;
      throw err;
    }
  }

  /** Starts a watch on a collection (or on one name) and records its events. */
  async watch(path: string, query: Query = {}): Promise<WatchRecorder> {
    const q = toParams(query);
    q.set('watch', 'true');
    const req = this.request('GET', path, { query: q });
    const rec = new WatchRecorder();
    rec.handle = await this.api.handler.watch(req, { send: (ev) => rec.push(ev), end: () => rec.end() });
    this.watches.push(rec);
    return rec;
  }

  /** Creates a namespace (and returns its name). */
  async namespace(name: string): Promise<string> {
    await this.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    return name;
  }

  async close(): Promise<void> {
    for (const w of this.watches) w.stop();
    this.api.cache.stop();
    await this.store.close();
    await this.cleanup();
  }
}

function copy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

// ---- Object builders.

export function configMap(name: string, data: Record<string, string> = { a: '1' }, meta: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta }, data };
}

export function pod(name: string, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...meta },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  };
}

export function deployment(name: string, opts: { replicas?: number; containers?: KObject[]; meta?: Record<string, unknown> } = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...(opts.meta ?? {}) },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: opts.containers ?? [{ name: 'web', image: 'httpd:1' }] },
      },
    },
  };
}

/** Asserts the shape of a failure Status: kind, code, reason, and optionally the message. */
export function assertStatus(st: Status, code: number, reason: string, message?: string | RegExp): void {
  assert.equal(st.kind, 'Status');
  assert.equal(st.apiVersion, 'v1');
  assert.equal(st.status, 'Failure');
  assert.equal(st.code, code, `code (message: ${st.message})`);
  assert.equal(st.reason, reason, `reason (message: ${st.message})`);
  if (typeof message === 'string') assert.equal(st.message, message);
  else if (message) assert.match(st.message, message);
}
