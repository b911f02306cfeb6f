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
/**
 * Callers let straight through in this turn. Their work runs only after all of them have
 * asked (500 creates started together all ask before the first one works), so the clock
 * alone would let them all through: at most this many go without queueing.
 */
let admitted = 0;
const ADMISSIONS_PER_TURN = 4;

function markNextTurn(): void {
  if (markPending) return;
  // Nobody asked since the last mark: when this turn began is unknown, so it counts from now
  // (bulk work asks again within milliseconds; a lone request is not held back).
  lastTurn = performance.now();
  admitted = 0;
  markPending = true;
  setImmediate(() => {
    markPending = false;
    lastTurn = performance.now();
    admitted = 0;
  });
}

/** True when the current turn has run past its budget: the caller should wait for the next. */
export function turnSpent(): boolean {
  markNextTurn();
  return performance.now() - lastTurn >= TURN_BUDGET_MS;
}

/**
 * Work waiting for a turn, first come first served (from `head` on: shifting an array of
 * thousands of waiters would move them all each time), and whether the pump is scheduled.
 */
let waiting: (() => void)[] = [];
let head = 0;
let pumping = false;

/**
 * Lets one waiter go per turn of the event loop: its work runs right after this callback
 * (promise jobs), and an immediate queued from inside an immediate runs only on the next
 * turn, after the I/O poll. So a queue of 500 creates costs 500 cheap turns, not 500 rounds
 * of every waiter checking the clock again.
 */
function pump(): void {
  const next = waiting[head++];
  if (head < waiting.length) {
    setImmediate(pump);
    // A queue that never empties drops the waiters already let go now and then.
    if (head >= 1024 && head * 2 >= waiting.length) {
      waiting = waiting.slice(head);
      head = 0;
    }
  } else {
    pumping = false;
    waiting = [];
    head = 0;
  }
  next?.();
}

/**
 * Resolves at once while the turn has budget left (time, and callers let through) and
 * nobody is queued; else in its place in the queue, one waiter per turn, in the order they came.
 */
export async function fairTurn(): Promise<void> {
  if (head === waiting.length && !turnSpent() && admitted < ADMISSIONS_PER_TURN) {
    admitted++;
    return;
  }
  await new Promise<void>((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
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
