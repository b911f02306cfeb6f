// /healthz, /livez and /readyz as kube-apiserver answers them: each a list of named checks;
// `?verbose` lists them, a failure lists them anyway with 500, and the reasons of failures are
// withheld from the (unauthenticated) caller. /readyz includes a real check of the store,
// cached briefly so probes cannot turn into load on it; /livez does not, so that a store
// outage makes the server unready but never gets it restarted.
import type { Store } from '../storage/store.js';

export interface HealthCheck {
  name: string;
  /** Resolves with undefined when healthy, else the reason (logged, never shown). */
  run(): Promise<string | undefined> | string | undefined;
}

/** How long a store check's answer is reused. */
const STORE_CHECK_CACHE_MS = 1_000;
/** A store that has not answered in this long counts as down. */
const STORE_CHECK_TIMEOUT_MS = 2_000;

/** The `etcd` check: a read of the store's current revision, within a deadline. */
export function storeCheck(store: Store): HealthCheck {
  let last: { at: number; result: Promise<string | undefined> } | undefined;
  const probe = async (): Promise<string | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.currentRevision(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${STORE_CHECK_TIMEOUT_MS} ms`)), STORE_CHECK_TIMEOUT_MS);
        }),
      ]);
      return undefined;
    } catch (err) {
      return (err as Error)?.message ?? String(err);
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    name: 'etcd',
    run() {
      const now = Date.now();
      if (!last || now - last.at > STORE_CHECK_CACHE_MS) last = { at: now, result: probe() };
      return last.result;
    },
  };
}

export interface HealthAnswer {
  status: number;
  body: string;
}

/** Runs `checks` for the health endpoint `name` (healthz, livez, readyz); one check alone when `only` is given. */
export async function healthAnswer(name: string, checks: HealthCheck[], verbose: boolean, only?: string): Promise<HealthAnswer | undefined> {
  const chosen = only ? checks.filter((c) => c.name === only) : checks;
  if (only && !chosen.length) return undefined;
  const results = await Promise.all(chosen.map(async (c) => ({ name: c.name, failure: await c.run() })));
  const failed = results.some((r) => r.failure !== undefined);
  const lines = results.map((r) => (r.failure === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: reason withheld`));
  if (failed) return { status: 500, body: `${lines.join('\n')}\n${name} check failed\n` };
  if (verbose) return { status: 200, body: `${lines.join('\n')}\n${name} check passed\n` };
  return { status: 200, body: 'ok' };
}
