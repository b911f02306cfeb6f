// Scrapes every node's resource metrics once per resolution, all nodes at once, each
// with its own deadline: a node that does not answer in time is left out of this cycle's
// figures and marked stale; it never holds up the others or the next cycle.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../util/log.js';
import { fairTurn } from '../util/turns.js';
import { decodeResourceMetrics } from './points.js';
import type { NodeMetricsSource } from './sources.js';
import type { UsageStore } from './usage-store.js';

export interface NodeScrapeState {
  /** ms since the epoch of the last answer. */
  lastSuccess?: number;
  lastError?: string;
  /** True while its last scrape failed: its figures are not served. */
  stale: boolean;
}

export interface CycleResult {
  durationMs: number;
  ok: number;
  failed: string[];
}

export interface ScraperOptions {
  nodes(): Node[];
  source: NodeMetricsSource;
  store: UsageStore;
  resolutionMs: number;
  /** Per-node deadline; default 90 % of the resolution (at most 10 s). */
  timeoutMs?: number;
  log: Logger;
  now?: () => number;
}

function withTimeout<T>(p: Promise<T>, ms: number, ac: AbortController, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`${what}: no answer within ${ms}ms`));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class Scraper {
  readonly states = new Map<string, NodeScrapeState>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;
  private readonly timeoutMs: number;
  lastCycle?: CycleResult;

  constructor(private readonly o: ScraperOptions) {
    this.timeoutMs = o.timeoutMs ?? Math.min(10_000, Math.max(100, Math.floor(o.resolutionMs * 0.9)));
  }

  start(): void {
    const loop = async () => {
      const began = Date.now();
      await this.scrapeOnce().catch((err) => this.o.log.error('metrics scrape cycle failed', { error: (err as Error).message }));
      if (this.stopped) return;
      this.timer = setTimeout(loop, Math.max(0, this.o.resolutionMs - (Date.now() - began)));
      this.timer.unref();
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One full cycle over every node. Cycles do not overlap: a call during one waits for nothing and returns the last result. */
  async scrapeOnce(): Promise<CycleResult> {
    if (this.running && this.lastCycle) return this.lastCycle;
    this.running = true;
    const now = this.o.now ?? Date.now;
    const t0 = performance.now();
    const failed: string[] = [];
    try {
      const nodes = this.o.nodes();
      const names = new Set(nodes.map((n) => n.metadata?.name ?? ''));
      for (const name of this.o.store.nodeNames()) if (!names.has(name)) this.o.store.forget(name);
      for (const name of this.states.keys()) if (!names.has(name)) this.states.delete(name);
      await Promise.all(
        nodes.map(async (node) => {
          const name = node.metadata?.name ?? '';
          const ac = new AbortController();
          try {
            // A hundred simulated nodes are scraped in this process: one node per share of a turn.
            await fairTurn();
            const text = await withTimeout(this.o.source.scrape(node, ac.signal), this.timeoutMs, ac, `node ${name}`);
            this.o.store.record(name, decodeResourceMetrics(text, now()));
            const st = this.states.get(name);
            if (st?.stale) this.o.log.info('node answers metrics scrapes again', { node: name });
            this.states.set(name, { lastSuccess: now(), stale: false });
          } catch (err) {
            failed.push(name);
            this.o.store.forget(name);
            const st = this.states.get(name);
            const msg = (err as Error).message;
            if (!st?.stale) this.o.log.warn('node metrics scrape failed; its figures are left out until it answers', { node: name, error: msg });
            this.states.set(name, { lastSuccess: st?.lastSuccess, lastError: msg, stale: true });
          }
        }),
      );
      this.lastCycle = { durationMs: performance.now() - t0, ok: nodes.length - failed.length, failed };
      return this.lastCycle;
    } finally {
      this.running = false;
    }
  }
}
