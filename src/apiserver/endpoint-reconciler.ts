// The `kubernetes` Endpoints list every live apiserver, as kube-apiserver's lease endpoint
// reconciler keeps them: each server renews a record of its address in the store every
// interval, and writes the Endpoints from the records that are still renewed. Liveness is
// judged by when *this* server saw a record change (its own clock), never by a time written
// by another machine, so clock skew cannot make a dead server look alive. All servers
// compute the same set from the same records, so the Endpoints do not flap between them.
import type { KObject } from '../api/types.js';
import { StoreError, type Store } from '../storage/store.js';

/**
 * Where kube-apiserver keeps them too. Inside /registry/ on purpose: the watch cache follows
 * /registry/ only, and a consistent read waits until the cache has seen the newest revision,
 * so a write anywhere else would leave it waiting.
 */
export const MASTER_LEASE_PREFIX = '/registry/masterleases/';

export interface EndpointReconcilerOptions {
  store: Store;
  /** This server's address and port as clients reach it. */
  address: string;
  port: number;
  /** The `kubernetes` Endpoints as stored now, if any. */
  current(): KObject | undefined;
  /** Stores the `kubernetes` Endpoints. */
  write(endpoints: KObject): Promise<void>;
  /** Renewal period; Kubernetes' 10 s by default. */
  intervalMs?: number;
  /** A record not renewed for this long is dropped; Kubernetes' 15 s by default. */
  ttlMs?: number;
  onError?(err: Error): void;
  now?(): number;
}

interface Seen {
  modRevision: number;
  at: number;
}

export class EndpointReconciler {
  private readonly key: string;
  private readonly intervalMs: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly seen = new Map<string, Seen>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly opts: EndpointReconcilerOptions) {
    this.key = `${MASTER_LEASE_PREFIX}${opts.address}:${opts.port}`;
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 15_000;
    this.now = opts.now ?? Date.now;
  }

  /** Publishes this server at once, then keeps its record renewed and the Endpoints current. */
  async start(): Promise<void> {
    await this.tick();
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.tick().catch((err) => this.opts.onError?.(err as Error));
        void this.running.then(loop);
      }, this.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  /** Withdraws this server: its record goes, and the Endpoints list only the others. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    try {
      await this.opts.store.delete(this.key);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
    }
    await this.reconcile();
  }

  private async tick(): Promise<void> {
    await this.renew();
    await this.reconcile();
  }

  private async renew(): Promise<void> {
    const { store, address, port } = this.opts;
    const value = JSON.stringify({ ip: address, port });
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = await store.get(this.key);
      try {
        // Every write moves the record's revision: that is what others watch for.
        if (cur) await store.update(this.key, value, cur.modRevision);
        else await store.create(this.key, value);
        return;
      } catch (err) {
        if (!(err instanceof StoreError && (err.code === 'Conflict' || err.code === 'KeyExists' || err.code === 'NotFound'))) throw err;
      }
    }
  }

  /** The live records, and stale ones deleted (guarded, so a late renewal wins). */
  private async live(): Promise<{ ip: string; port: number }[]> {
    const { items } = await this.opts.store.list(MASTER_LEASE_PREFIX);
    const now = this.now();
    const out: { ip: string; port: number }[] = [];
    const present = new Set<string>();
    for (const kv of items) {
      present.add(kv.key);
      const prev = this.seen.get(kv.key);
      if (!prev || prev.modRevision !== kv.modRevision) this.seen.set(kv.key, { modRevision: kv.modRevision, at: now });
      const fresh = kv.key === this.key ? !this.stopped : now - this.seen.get(kv.key)!.at < this.ttlMs;
      let rec: { ip?: unknown; port?: unknown };
      try {
        rec = JSON.parse(kv.value) as typeof rec;
      } catch {
        rec = {};
      }
      if (fresh && typeof rec.ip === 'string' && typeof rec.port === 'number') out.push({ ip: rec.ip, port: rec.port });
      else {
        try {
          await this.opts.store.delete(kv.key, kv.modRevision);
        } catch (err) {
          if (!(err instanceof StoreError && (err.code === 'Conflict' || err.code === 'NotFound'))) throw err;
        }
      }
    }
    for (const k of this.seen.keys()) if (!present.has(k)) this.seen.delete(k);
    return out;
  }

  private async reconcile(): Promise<void> {
    const live = await this.live();
    // One subset per port (servers normally share 6443), addresses in a fixed order.
    const byPort = new Map<number, string[]>();
    for (const { ip, port } of live) byPort.set(port, [...(byPort.get(port) ?? []), ip]);
    const subsets = [...byPort.entries()]
      .sort(([a], [b]) => a - b)
      .map(([port, ips]) => ({ addresses: [...new Set(ips)].sort().map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }));
    const cur = this.opts.current();
    if (cur && JSON.stringify((cur as { subsets?: unknown }).subsets ?? []) === JSON.stringify(subsets)) return;
    await this.opts.write({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      ...(subsets.length ? { subsets } : {}),
    });
  }
}
