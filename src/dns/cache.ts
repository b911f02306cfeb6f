// The forwarder's cache: upstream responses kept as they came, for as long as their
// records live (RFC 1035), negative answers for their SOA's negative TTL (RFC 2308).
// Positive and negative entries are bounded separately, so that a flood of random names
// (all NXDOMAIN) cannot push out the answers that matter; the oldest entry goes first.
import type { MessageLayout } from './wire.js';
import { RCODE } from './wire.js';

export interface CacheOptions {
  maxEntries?: number;
  maxNegativeEntries?: number;
  /** Caps on how long anything is kept, whatever upstream says (CoreDNS's defaults). */
  maxTtl?: number;
  maxNegativeTtl?: number;
}

export interface CachedResponse {
  buf: Buffer;
  layout: MessageLayout;
  storedAt: number;
  expiresAt: number;
  negative: boolean;
}

export class ResponseCache {
  private readonly positive = new Map<string, CachedResponse>();
  private readonly negative = new Map<string, CachedResponse>();
  private readonly maxEntries: number;
  private readonly maxNegativeEntries: number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;

  constructor(opts: CacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.maxNegativeEntries = opts.maxNegativeEntries ?? 2_000;
    this.maxTtl = opts.maxTtl ?? 3600;
    this.maxNegativeTtl = opts.maxNegativeTtl ?? 1800;
  }

  static key(name: string, type: number, klass: number, dnssecOk: boolean): string {
    return `${name.toLowerCase()}|${type}|${klass}|${dnssecOk ? 1 : 0}`;
  }

  get size(): { positive: number; negative: number } {
    return { positive: this.positive.size, negative: this.negative.size };
  }

  get(key: string, now = Date.now()): CachedResponse | undefined {
    const map = this.positive.has(key) ? this.positive : this.negative;
    const e = map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      map.delete(key);
      return undefined;
    }
    return e;
  }

  /** Stores a response if it may be cached: not truncated, not a failure, with a TTL to go by. */
  put(key: string, buf: Buffer, layout: MessageLayout, now = Date.now()): boolean {
    if (layout.truncated) return false;
    const nxdomain = layout.rcode === RCODE.NXDOMAIN;
    if (layout.rcode !== RCODE.NOERROR && !nxdomain) return false;
    const negative = nxdomain || layout.answerCount === 0;
    // A negative answer without an SOA says nothing about how long it holds: not cached.
    const ttl = negative ? Math.min(layout.negativeTtl ?? 0, this.maxNegativeTtl) : Math.min(layout.minTtl ?? 0, this.maxTtl);
    if (ttl <= 0) return false;
    const map = negative ? this.negative : this.positive;
    const max = negative ? this.maxNegativeEntries : this.maxEntries;
    map.delete(key);
    while (map.size >= max) map.delete(map.keys().next().value!);
    map.set(key, { buf, layout, storedAt: now, expiresAt: now + ttl * 1000, negative });
    return true;
  }

  clear(): void {
    this.positive.clear();
    this.negative.clear();
  }
}
