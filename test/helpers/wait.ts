// Bounded polling for tests against real processes: `check` runs until it returns a value,
// at most `ms` long and a bounded number of times; a timeout names what was awaited and
// shows the tail of the processes' logs.
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, ms: number, check: () => Promise<T | undefined>, logs: () => string, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}\n--- logs (tail) ---\n${logs().slice(-8000)}`);
}

/**
 * Like waitFor, for checks that may throw while the system settles (a kubectl that fails
 * until an object exists): errors are retried, and the last one is named on timeout.
 */
export async function eventually<T>(what: string, ms: number, fn: () => Promise<T | undefined>, logs?: () => string, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (let i = 0; i < 10_000; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) break;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}${logs ? `\n${logs().slice(-3000)}` : ''}`);
}
