// API Priority and Fairness: each request is classified to a FlowSchema and so to a
// priority level; the level's QueueSet holds it until it has seats. The server's limit
// (--max-requests-inflight + --max-mutating-requests-inflight) is split over the limited
// levels by nominalConcurrencyShares. Borrowing between levels (lendablePercent,
// borrowingLimitPercent) is not done: each level keeps its nominal limit.
import type { KObject } from '../../api/types.js';
import { StatusError } from '../status.js';
import { flowDistinguisher, matchesFlowSchema, type RequestDigest, sortFlowSchemas } from './classify.js';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from './bootstrap.js';
import { QueueSet, Rejected } from './queue-set.js';
import { flowHash } from './shuffle-shard.js';

export interface FlowControlOptions {
  /** --max-requests-inflight (default 400). */
  maxRequestsInflight?: number;
  /** --max-mutating-requests-inflight (default 200). */
  maxMutatingRequestsInflight?: number;
  /** The request timeout; a request waits in a queue at most a quarter of it. Default 60 s. */
  requestTimeoutMs?: number;
}

export interface Classification {
  schema: KObject;
  level: KObject;
  distinguisher: string;
}

export interface Admission extends Classification {
  /** Frees the request's seats (idempotent). */
  release(): void;
}

interface Level {
  obj: KObject;
  concurrency?: number;
  /** Undefined for the exempt level: never queues. */
  set?: QueueSet;
}

export const RETRY_AFTER_SECONDS = 1;

/** The answer kube-apiserver gives a request APF turns away. */
export function tooManyRequests(): StatusError {
  return new StatusError(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: RETRY_AFTER_SECONDS });
}

/** The release of an exempt request: it holds no seats. */
export const EXEMPT_RELEASE = (): void => {};

export class FlowControl {
  private schemas: KObject[] = sortFlowSchemas(MANDATORY_FLOW_SCHEMAS);
  private levels = new Map<string, Level>();
  readonly serverLimit: number;
  private readonly waitMs: number;

  constructor(opts: FlowControlOptions = {}) {
    this.serverLimit = (opts.maxRequestsInflight ?? 400) + (opts.maxMutatingRequestsInflight ?? 200);
    this.waitMs = (opts.requestTimeoutMs ?? 60_000) / 4;
    this.configure(MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS);
  }

  /** Applies the current objects; running and waiting requests keep their places. */
  configure(schemas: KObject[], levels: KObject[]): void {
    // The mandatory objects stand in for any that are missing (deleted, not yet recreated).
    const byName = new Map(MANDATORY_PRIORITY_LEVELS.map((l) => [l.metadata!.name!, l]));
    for (const l of levels) if (l.metadata?.name) byName.set(l.metadata.name, l);
    let shares = 0;
    for (const l of byName.values())
      shares += l.spec?.type === 'Exempt' ? (l.spec?.exempt?.nominalConcurrencyShares ?? 0) : (l.spec?.limited?.nominalConcurrencyShares ?? 0);
    const next = new Map<string, Level>();
    for (const [name, obj] of byName) {
      if (obj.spec?.type === 'Exempt') {
        next.set(name, { obj });
        continue;
      }
      const lim = obj.spec?.limited ?? {};
      const concurrency = Math.max(1, Math.ceil((this.serverLimit * (lim.nominalConcurrencyShares ?? 0)) / Math.max(1, shares)));
      const q = lim.limitResponse?.type === 'Queue' ? lim.limitResponse.queuing : undefined;
      const config = {
        concurrency,
        queuing: q ? { queues: q.queues ?? 64, handSize: q.handSize ?? 8, queueLengthLimit: q.queueLengthLimit ?? 50 } : undefined,
      };
      const old = this.levels.get(name)?.set;
      if (old) old.reconfigure(config);
      next.set(name, { obj, concurrency, set: old ?? new QueueSet(config) });
    }
    this.levels = next;
    const names = new Set(schemas.map((s) => s.metadata?.name));
    // Dangling schemas (their level is missing) match nothing, as in Kubernetes.
    this.schemas = sortFlowSchemas([...schemas, ...MANDATORY_FLOW_SCHEMAS.filter((s) => !names.has(s.metadata!.name))]).filter((s) =>
      next.has(s.spec?.priorityLevelConfiguration?.name),
    );
  }

  classify(req: RequestDigest): Classification {
    const schema = this.schemas.find((s) => matchesFlowSchema(s, req)) ?? MANDATORY_FLOW_SCHEMAS[1]!;
    const level = this.levels.get(schema.spec.priorityLevelConfiguration.name)!;
    return { schema, level: level.obj, distinguisher: flowDistinguisher(schema, req) };
  }

  /** Seats, concurrency limit and queue state of each level (for tests and benchmarks). */
  levelState(name: string): { concurrency?: number; inUse: number; waiting: number } | undefined {
    const l = this.levels.get(name);
    if (!l) return undefined;
    return { concurrency: l.concurrency, inUse: l.set?.inUse ?? 0, waiting: l.set?.waiting ?? 0 };
  }

  /**
   * Waits for seats for the request. Rejects with a 429 StatusError when its queue is
   * full, its level rejects, or it waited its limit. `onCancel` is called with a function
   * that withdraws the request (for a client that goes away while it waits). A request of
   * an exempt level is answered at once, without a promise: it never waits.
   */
  admit(req: RequestDigest, seats: number, onCancel?: (cancel: () => void) => void): Admission | Promise<Admission> {
    const c = this.classify(req);
    const set = this.levels.get(c.level.metadata!.name!)?.set;
    if (!set) return { ...c, release: EXEMPT_RELEASE };
    return this.queue(c, set, seats, onCancel);
  }

  private async queue(c: Classification, set: QueueSet, seats: number, onCancel?: (cancel: () => void) => void): Promise<Admission> {
    const ticket = set.enqueue(flowHash(c.schema.metadata!.name!, c.distinguisher), seats, this.waitMs);
    onCancel?.(ticket.cancel);
    try {
      const release = await ticket.admitted;
      return { ...c, release };
    } catch (err) {
      if (err instanceof Rejected) throw Object.assign(tooManyRequests(), { classification: c });
      throw err;
    }
  }
}

/** Seats a request takes: a list is charged for the objects it walks (1 per 100, 1 to 10), as kube-apiserver's width estimator. */
export function estimateSeats(verb: string, objectCount: number | undefined, limit: number | undefined): number {
  if (verb !== 'list' || objectCount === undefined) return 1;
  const n = limit && limit > 0 ? Math.min(objectCount, limit) : objectCount;
  return Math.max(1, Math.min(10, Math.ceil(n / 100)));
}
