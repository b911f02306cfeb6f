// Fair turns of the event loop for work that runs in the server's own process. Promise jobs
// run before any I/O, so a controller creating 500 pods, or a group commit releasing the
// hundreds of writes that shared one fsync, would otherwise keep the HTTP server from reading
// a single request (or answering /readyz) until all of it is done. Work that may come in
// bulk checks the clock before each piece and, once the loop has been busy this long since
// I/O last had its turn, waits for the next turn.

/** How long the process may work between two polls for I/O before bulk work steps aside. */
export const TURN_BUDGET_MS = 10;

/** When the event loop last reached its check phase, which comes right after the I/O poll. */
let lastTurn = performance.now();
let markPending = false;

function markNextTurn(): void {
  if (markPending) return;
  markPending = true;
  setImmediate(() => {
    markPending = false;
    lastTurn = performance.now();
  });
}

/** True when the current turn has run past its budget: the caller should wait for the next. */
export function turnSpent(): boolean {
  markNextTurn();
  return performance.now() - lastTurn >= TURN_BUDGET_MS;
}

const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Resolves at once while the turn has budget left, else on a later turn that has. Waiters
 * resume in the order they came (immediates run in order, and one that finds the turn
 * spent again queues behind the turn's marker, so each turn lets at least one through).
 */
export async function fairTurn(): Promise<void> {
  while (turnSpent()) await nextTurn();
}

/**
 * Runs jobs one at a time in the order they were queued, each in a turn with budget left:
 * for steps that must stay in order (a store's events, in revision order) but may come by
 * the hundred at once. `run` resolves once its job has run, with the job's result.
 */
export class OrderedTurns {
  private readonly jobs: (() => void)[] = [];
  private draining = false;

  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        try {
          resolve(job());
        } catch (err) {
          reject(err);
        }
      });
      if (!this.draining) this.drain();
    });
  }

  private drain(): void {
    this.draining = true;
    while (this.jobs.length > 0) {
      if (turnSpent()) {
        setImmediate(() => this.drain());
        return;
      }
      this.jobs.shift()!();
    }
    this.draining = false;
  }
}
