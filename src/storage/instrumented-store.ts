// A Store that times every call to the backend into etcd_request_duration_seconds{operation,
// type}, the series kube-apiserver keeps of its etcd requests, whichever backend is below
// (SQLite, etcd, memory). `type` is the resource the key belongs to ("pods",
// "widgets.example.com"), so a slow resource stands out.
import { Histogram, type Registry } from 'prom-client';
import type { KeyValue, ListOptions, ListResult, Store, StoreEvent, Watcher } from './store.js';

// kube-apiserver's buckets for etcd request latency (seconds).
const ETCD_REQUEST_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

/** The resource of a storage key: /registry/pods/ns/x → pods; /registry/example.com/widgets/… → widgets.example.com. */
export function keyType(key: string): string {
  const parts = key.split('/');
  // ['', 'registry', first, second, ...]
  const first = parts[2] ?? '';
  if (!first) return key;
  return first.includes('.') && parts[3] ? `${parts[3]}.${first}` : first;
}

export class InstrumentedStore implements Store {
  private readonly latency: Histogram<'operation' | 'type'>;

  constructor(
    private readonly inner: Store,
    registry: Registry,
  ) {
    this.latency =
      (registry.getSingleMetric('etcd_request_duration_seconds') as Histogram<'operation' | 'type'> | undefined) ??
      new Histogram({
        name: 'etcd_request_duration_seconds',
        help: 'Etcd request latency in seconds for each operation and object type.',
        labelNames: ['operation', 'type'],
        buckets: ETCD_REQUEST_BUCKETS,
        registers: [registry],
      });
    if (inner.isStale) this.isStale = (key) => inner.isStale!(key);
  }

  isStale?(key: string): Promise<boolean>;

  private async timed<T>(operation: string, key: string, call: Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await call;
    } finally {
      this.latency.observe({ operation, type: keyType(key) }, (performance.now() - start) / 1000);
    }
  }

  get(key: string): Promise<KeyValue | null> {
    return this.timed('get', key, this.inner.get(key));
  }

  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    return this.timed('list', prefix, this.inner.list(prefix, opts));
  }

  count(prefix: string): Promise<number> {
    return this.timed('count', prefix, this.inner.count(prefix));
  }

  create(key: string, value: string): Promise<number> {
    return this.timed('create', key, this.inner.create(key, value));
  }

  update(key: string, value: string, expectedRevision: number): Promise<number> {
    return this.timed('update', key, this.inner.update(key, value, expectedRevision));
  }

  delete(key: string, expectedRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.timed('delete', key, this.inner.delete(key, expectedRevision));
  }

  watch(prefix: string, fromRevision: number, onEvent: (ev: StoreEvent) => void, onError?: (err: Error) => void): Watcher {
    return this.inner.watch(prefix, fromRevision, onEvent, onError);
  }

  currentRevision(): Promise<number> {
    return this.inner.currentRevision();
  }

  compactedRevision(): Promise<number> {
    return this.inner.compactedRevision();
  }

  compact(revision: number): Promise<void> {
    return this.timed('compact', '/registry/compact', this.inner.compact(revision));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
