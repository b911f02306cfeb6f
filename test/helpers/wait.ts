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
