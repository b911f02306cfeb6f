// Picks an upstream address for a Service backend from the informers' current EndpointSlices,
// at request time: an endpoint change takes effect on the next request, with no reload.
// The choice among ready endpoints (round robin, least-requests, ewma: balance.ts) skips those
// ejected by passive or active health checks.
import { createHash } from 'node:crypto';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { choose, LoadTracker, type Policy } from './balance.js';
import type { ServiceBackend } from './route-table.js';

export interface Upstream {
  host: string;
  port: number;
  /** host:port, the key of health and affinity state. */
  key: string;
}

export type Resolution = { ok: true; upstreams: Upstream[] } | { ok: false; status: number; reason: string };

export interface EndpointSource {
  service(namespace: string, name: string): Service | undefined;
  slices(namespace: string, service: string): EndpointSlice[];
}

export interface HealthOptions {
  /** Consecutive connect failures that eject an endpoint. */
  maxFailures: number;
  /** First ejection; doubles with each further ejection, up to maxEjectMs. */
  ejectMs: number;
  maxEjectMs: number;
}

const DEFAULT_HEALTH: HealthOptions = { maxFailures: 3, ejectMs: 5_000, maxEjectMs: 60_000 };

interface Health {
  failures: number;
  ejections: number;
  ejectedUntil: number;
}

export class EndpointPicker {
  private readonly cursor = new Map<string, number>();
  private readonly resolved = new Map<string, { svc: Service; slices: readonly EndpointSlice[]; result: Resolution }>();
  private readonly health = new Map<string, Health>();
  /** Endpoints whose last active health check failed. */
  private readonly activeDown = new Set<string>();
  private readonly opts: HealthOptions;
  /** Requests in flight and response times per endpoint, for least-requests and ewma. */
  readonly load: LoadTracker;

  constructor(
    private readonly source: EndpointSource,
    opts: Partial<HealthOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...DEFAULT_HEALTH, ...opts };
    this.load = new LoadTracker(now);
  }

  /**
   * The ready upstreams of a backend: its Service port resolved to the EndpointSlices' port.
   * Informer objects are replaced, never changed, so the answer is kept until the Service or
   * any of the slices is another object: every request asks.
   */
  resolve(b: ServiceBackend, protocol: 'TCP' | 'UDP' = 'TCP'): Resolution {
    const key = protocol === 'TCP' ? tcpKeyOf(b) : `${protocol}/${b.namespace}/${b.service}/${b.port}`;
    const svc = this.source.service(b.namespace, b.service);
    if (!svc) {
      this.resolved.delete(key);
      return { ok: false, status: 503, reason: `Service ${b.namespace}/${b.service} does not exist` };
    }
    const slices = this.source.slices(b.namespace, b.service);
    const hit = this.resolved.get(key);
    if (hit && hit.svc === svc && sameSlices(hit.slices, slices)) return hit.result;
    const result = this.resolveFrom(b, protocol, svc, slices);
    this.resolved.set(key, { svc, slices: [...slices], result });
    return result;
  }

  private resolveFrom(b: ServiceBackend, protocol: 'TCP' | 'UDP', svc: Service, slices: readonly EndpointSlice[]): Resolution {
    const sp = (svc.spec?.ports ?? []).find((p) => (p.protocol ?? 'TCP') === protocol && (typeof b.port === 'number' ? p.port === b.port : p.name === b.port));
    if (!sp) return { ok: false, status: 503, reason: `Service ${b.namespace}/${b.service} has no port ${b.port}` };
    if (svc.spec?.type === 'ExternalName')
      return { ok: false, status: 503, reason: `Service ${b.namespace}/${b.service} is of type ExternalName, which the ingress does not proxy to` };
    const portName = sp.name ?? '';
    const seen = new Set<string>();
    const upstreams: Upstream[] = [];
    for (const slice of slices) {
      const port = (slice.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol)?.port;
      if (!port) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false) continue;
        for (const named of (ep.addresses ?? []).slice(0, 1)) {
          const addr = slice.addressType === 'FQDN' ? fqdnTarget(named) : named;
          const key = addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
          if (seen.has(key)) continue;
          seen.add(key);
          upstreams.push({ host: addr, port, key });
        }
      }
    }
    if (upstreams.length === 0) return { ok: false, status: 503, reason: `Service ${b.namespace}/${b.service} has no ready endpoints for port ${b.port}` };
    upstreams.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    return { ok: true, upstreams };
  }

  /** The next healthy upstream by `policy`, not among `exclude`; an ejected one if all are. */
  next(backendKey: string, upstreams: readonly Upstream[], exclude?: ReadonlySet<string>, policy: Policy = 'round-robin'): Upstream | undefined {
    let pool = upstreams;
    // Nothing excluded and no endpoint ejected or failing its checks (the usual case): no filtering.
    if (exclude !== undefined || this.health.size > 0 || this.activeDown.size > 0) {
      const candidates = exclude ? upstreams.filter((u) => !exclude.has(u.key)) : upstreams;
      const healthy = candidates.filter((u) => this.healthy(u.key));
      pool = healthy.length > 0 ? healthy : candidates;
    }
    if (pool.length === 0) return undefined;
    const turn = (this.cursor.get(backendKey) ?? 0) % pool.length;
    this.cursor.set(backendKey, turn + 1);
    return pool[choose(policy, pool, turn, this.load)];
  }

  /** The upstream a session cookie names, if it still exists and is healthy. */
  pinned(upstreams: readonly Upstream[], cookie: string | undefined): Upstream | undefined {
    if (!cookie) return undefined;
    return upstreams.find((u) => affinityToken(u) === cookie && this.healthy(u.key));
  }

  /** Records an active check's verdict; true when it changed the endpoint's state. */
  setActive(key: string, ok: boolean): boolean {
    const was = !this.activeDown.has(key);
    if (ok) this.activeDown.delete(key);
    else this.activeDown.add(key);
    return was !== ok;
  }

  healthy(key: string): boolean {
    if (this.activeDown.has(key)) return false;
    const h = this.health.get(key);
    return !h || h.ejectedUntil <= this.now();
  }

  connectFailed(key: string): void {
    const h = this.health.get(key) ?? { failures: 0, ejections: 0, ejectedUntil: 0 };
    h.failures++;
    if (h.failures >= this.opts.maxFailures) {
      h.ejectedUntil = this.now() + Math.min(this.opts.maxEjectMs, this.opts.ejectMs * 2 ** h.ejections);
      h.ejections++;
      h.failures = 0;
    }
    this.health.set(key, h);
  }

  connected(key: string): void {
    const h = this.health.get(key);
    if (h && h.ejectedUntil <= this.now()) this.health.delete(key);
  }
}

// Backends come from route tables, which are rebuilt rather than changed: a key per backend object.
const tcpKeys = new WeakMap<ServiceBackend, string>();

function tcpKeyOf(b: ServiceBackend): string {
  let key = tcpKeys.get(b);
  if (key === undefined) tcpKeys.set(b, (key = `TCP/${b.namespace}/${b.service}/${b.port}`));
  return key;
}

function sameSlices(a: readonly EndpointSlice[], b: readonly EndpointSlice[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Where an FQDN endpoint is reached: names under `localhost` are loopback without asking DNS
 * (RFC 6761 6.3), others are resolved when connecting.
 */
function fqdnTarget(name: string): string {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || n.endsWith('.localhost') ? '127.0.0.1' : n;
}

/** The session cookie's value for an upstream: a hash, so the cookie does not show pod addresses. */
export function affinityToken(u: Upstream): string {
  return createHash('sha256').update(u.key).digest('hex').slice(0, 16);
}
