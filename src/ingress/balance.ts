// How a backend's next endpoint is chosen, per Ingress by annotation: round robin (the
// default), least-requests (fewest requests in flight, as Envoy's LEAST_REQUEST and nginx's
// least_conn), or ewma (in flight weighted by a moving average of response time, as
// ingress-nginx's ewma). Ties go round robin, so equal endpoints still share the load.

export const ANNOTATION_LOAD_BALANCE = 'skiff.io/load-balance';

export const POLICIES = ['round-robin', 'least-requests', 'ewma'] as const;
export type Policy = (typeof POLICIES)[number];

/** The policy an annotation value names (ingress-nginx's `round_robin` spelling too); undefined when it names none. */
export function parsePolicy(v: string | undefined): Policy | undefined {
  if (v === undefined || v.trim() === '') return 'round-robin';
  const p = v.trim().toLowerCase().replaceAll('_', '-');
  return (POLICIES as readonly string[]).includes(p) ? (p as Policy) : undefined;
}

/** Response time decays to half its weight after this long (ingress-nginx decays over 10 s). */
const EWMA_HALF_LIFE_MS = 10_000;
const MAX_AVERAGES = 4_096;

/** Requests in flight and a moving average of response time, per endpoint key. */
export class LoadTracker {
  private readonly inflight = new Map<string, number>();
  private readonly ewma = new Map<string, { ms: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** One more request in flight to `key`; the function returned ends it (once, however often called). */
  begin(key: string): () => void {
    this.inflight.set(key, (this.inflight.get(key) ?? 0) + 1);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.end(key);
    };
  }

  end(key: string): void {
    const n = (this.inflight.get(key) ?? 0) - 1;
    if (n > 0) this.inflight.set(key, n);
    else this.inflight.delete(key);
  }

  /** The endpoint answered after `ms` (until its response headers). */
  observe(key: string, ms: number): void {
    const t = this.now();
    const prior = this.ewma.get(key);
    if (!prior) {
      // Endpoints come and go: averages not updated for a while are dropped, keeping the map bounded.
      if (this.ewma.size >= MAX_AVERAGES) for (const [k, v] of this.ewma) if (t - v.at > 6 * EWMA_HALF_LIFE_MS) this.ewma.delete(k);
      this.ewma.set(key, { ms, at: t });
      return;
    }
    const w = 0.5 ** (Math.max(0, t - prior.at) / EWMA_HALF_LIFE_MS);
    // Each sample also counts as a step, so a busy endpoint's average follows its latest answers.
    const keep = Math.min(w, 0.8);
    // The tracker's own record, updated in place: one fewer object per request.
    prior.ms = prior.ms * keep + ms * (1 - keep);
    prior.at = t;
  }

  inFlight(key: string): number {
    return this.inflight.get(key) ?? 0;
  }

  /** Average response time; 0 for an endpoint never measured, so it gets tried. */
  averageMs(key: string): number {
    return this.ewma.get(key)?.ms ?? 0;
  }
}

/**
 * The index into `pool` to use. `turn` is the backend's round-robin counter: round robin takes
 * it modulo the pool; the others scan from it, so among equal scores the turn rotates.
 */
export function choose(policy: Policy, pool: readonly { key: string }[], turn: number, load: LoadTracker): number {
  const n = pool.length;
  const start = turn % n;
  if (policy === 'round-robin' || n === 1) return start;
  const score =
    policy === 'least-requests'
      ? (k: string) => load.inFlight(k)
      : // +1: an idle endpoint is still ranked by its latency; a fresh one (0 ms) first.
        (k: string) => load.averageMs(k) * (load.inFlight(k) + 1);
  let best = start;
  let bestScore = score(pool[start]!.key);
  for (let j = 1; j < n; j++) {
    const i = (start + j) % n;
    const s = score(pool[i]!.key);
    if (s < bestScore) {
      best = i;
      bestScore = s;
    }
  }
  return best;
}
