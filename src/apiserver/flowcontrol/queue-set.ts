// One priority level's seats and queues. A request takes `seats` of the level's
// concurrency limit while it runs; beyond the limit it waits in one of its flow's
// shuffle-sharded queues (the shortest of its hand). Seats that free up go to the queue
// whose head has the smallest virtual start time, as Kubernetes' fair queuing does: the
// virtual clock R runs at (seats in use / active queues) per millisecond, a queue that
// becomes active starts at R, and each dispatch charges its queue seats × an estimated
// service time, corrected by the real duration when the request ends. A queue that sends
// many or long requests runs ahead of R and yields to one that does not, however many
// requests it piles up.
import { dealHand } from './shuffle-shard.js';

export interface QueueSetConfig {
  /** Seats this level may use at once. */
  concurrency: number;
  /** Absent: requests beyond the limit are rejected at once (limitResponse Reject). */
  queuing?: { queues: number; handSize: number; queueLengthLimit: number };
}

/** Estimated service time of a request (ms), charged at dispatch and corrected at the end. */
const ESTIMATED_SERVICE_MS = 50;

export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';

export class Rejected extends Error {
  constructor(readonly why: RejectReason) {
    super(`request rejected: ${why}`);
  }
}

interface Waiter {
  seats: number;
  queue: Queue;
  resolve(release: () => void): void;
  reject(err: Rejected): void;
  timer?: NodeJS.Timeout;
}

class Queue {
  readonly waiting: Waiter[] = [];
  /** Virtual start time of the next request this queue dispatches. */
  nextStart = 0;
  executingSeats = 0;
  waitingSeats = 0;
}

export interface Ticket {
  /** Resolves with the release function once seats are held; rejects with Rejected. */
  admitted: Promise<() => void>;
  /** Withdraws a request still waiting (its client went away). */
  cancel(): void;
}

export class QueueSet {
  private queues: Queue[] = [];
  private seatsInUse = 0;
  private waitingCount = 0;
  /** The virtual clock R, in seat-milliseconds per active queue, and when it was last advanced. */
  private r = 0;
  private rAt = performance.now();

  constructor(private config: QueueSetConfig) {
    this.resize();
  }

  /** A new configuration keeps the requests running and waiting; queues only grow here. */
  reconfigure(config: QueueSetConfig): void {
    this.config = config;
    this.resize();
    this.dispatch();
  }

  private resize(): void {
    const n = this.config.queuing?.queues ?? 0;
    while (this.queues.length < n) this.queues.push(new Queue());
  }

  get inUse(): number {
    return this.seatsInUse;
  }

  get waiting(): number {
    return this.waitingCount;
  }

  /** Asks for `seats` seats for a request of the flow with `hash`, waiting at most `waitMs`. */
  enqueue(hash: bigint, seats: number, waitMs: number): Ticket {
    const width = Math.max(1, Math.min(seats, this.config.concurrency));
    const q = this.config.queuing;
    if (!q || this.queues.length === 0) {
      if (this.seatsInUse + width <= this.config.concurrency) return this.now(width, undefined);
      return { admitted: Promise.reject(new Rejected('concurrency-limit')), cancel() {} };
    }
    const hand = dealHand(hash, Math.min(q.queues, this.queues.length), q.handSize);
    let best = this.queues[hand[0]!]!;
    for (const i of hand) {
      const c = this.queues[i]!;
      if (c.waitingSeats + c.executingSeats < best.waitingSeats + best.executingSeats) best = c;
    }
    if (best.waiting.length >= q.queueLengthLimit) return { admitted: Promise.reject(new Rejected('queue-full')), cancel() {} };
    this.advance();
    // A queue that was idle starts at the current virtual time: idling earns no credit.
    if (best.waiting.length === 0 && best.executingSeats === 0) best.nextStart = Math.max(best.nextStart, this.r);
    if (this.waitingCount === 0 && this.seatsInUse + width <= this.config.concurrency) {
      best.nextStart += width * ESTIMATED_SERVICE_MS;
      return this.now(width, best);
    }
    let waiter!: Waiter;
    const admitted = new Promise<() => void>((resolve, reject) => {
      waiter = { seats: width, queue: best, resolve, reject };
    });
    waiter.timer = setTimeout(() => this.withdraw(waiter, 'time-out'), waitMs);
    best.waiting.push(waiter);
    best.waitingSeats += width;
    this.waitingCount++;
    this.dispatch();
    return { admitted, cancel: () => this.withdraw(waiter, 'cancelled') };
  }

  private now(width: number, queue: Queue | undefined): Ticket {
    return { admitted: Promise.resolve(this.take(width, queue)), cancel() {} };
  }

  /** Moves R on by the service given since the last event, shared by the active queues. */
  private advance(): void {
    const now = performance.now();
    let active = 0;
    for (const q of this.queues) if (q.waiting.length || q.executingSeats) active++;
    if (active > 0) this.r += ((now - this.rAt) * Math.min(this.seatsInUse, this.config.concurrency)) / active;
    this.rAt = now;
  }

  private take(width: number, queue: Queue | undefined): () => void {
    this.seatsInUse += width;
    if (queue) queue.executingSeats += width;
    const started = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.advance();
      this.seatsInUse -= width;
      if (queue) {
        queue.executingSeats -= width;
        // The charge was an estimate: the queue pays what the request really took.
        queue.nextStart += width * (performance.now() - started - ESTIMATED_SERVICE_MS);
      }
      this.dispatch();
    };
  }

  private withdraw(w: Waiter, why: RejectReason): void {
    const i = w.queue.waiting.indexOf(w);
    if (i < 0) return;
    w.queue.waiting.splice(i, 1);
    w.queue.waitingSeats -= w.seats;
    this.waitingCount--;
    clearTimeout(w.timer);
    w.reject(new Rejected(why));
    this.dispatch();
  }

  /** Hands free seats to waiting requests, the queue with the earliest virtual start first. */
  private dispatch(): void {
    this.advance();
    while (this.waitingCount > 0) {
      let next: Queue | undefined;
      for (const q of this.queues) if (q.waiting.length && (!next || q.nextStart < next.nextStart)) next = q;
      if (!next) return;
      const head = next.waiting[0]!;
      // The fairest request waits for room rather than being overtaken by narrower ones.
      if (this.seatsInUse + head.seats > this.config.concurrency) return;
      next.waiting.shift();
      next.waitingSeats -= head.seats;
      this.waitingCount--;
      clearTimeout(head.timer);
      next.nextStart += head.seats * ESTIMATED_SERVICE_MS;
      head.resolve(this.take(head.seats, next));
    }
  }
}
