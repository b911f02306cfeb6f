// Runs a proxy mode the way kube-proxy runs its proxier: level-triggered. Informer events
// only mark things dirty and ask for a sync; syncs are serialised, at most one per
// minSyncInterval (changes arriving meanwhile are coalesced into the next one); a full resync
// runs periodically (repairing rules someone else removed) and after any failure; a failed
// sync is retried with back-off.
import type { Logger } from '../util/log.js';
import type { HealthCheckServers } from './healthcheck.js';
import { syncDuration, syncFailures } from './metrics.js';
import type { SnapshotChange } from './snapshot-builder.js';
import type { ProxyMode, ProxySnapshot, ServicePortKey } from './types.js';

export interface ProxierOptions {
  source: { take(): SnapshotChange };
  mode: ProxyMode;
  log: Logger;
  /** Minimum time between the starts of two syncs; default 2 ms. */
  minSyncIntervalMs?: number;
  /**
   * Period of the resync check; default 30 s. A mode that can tell its rules are intact
   * (ProxyMode.intact) is rewritten in full only every fullSyncMaxAgeMs.
   */
  fullSyncIntervalMs?: number;
  /** Longest time between two full rewrites; default 1 h, as kube-proxy's FullSyncPeriod. */
  fullSyncMaxAgeMs?: number;
  /** Back-off after a failed sync: initial and maximum; default 100 ms doubling to 10 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  healthChecks?: HealthCheckServers;
  /** Told after each successful sync (benchmarks time it). */
  onSynced?(info: { snapshot: ProxySnapshot; full: boolean; changed: number; ms: number }): void;
}

export class Proxier {
  private timer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private running = false;
  private rerun = false;
  private stopped = false;
  private needFull = true;
  /** The periodic resync is due: a full one unless the mode says its rules are intact. */
  private resyncDue = false;
  private lastFull = 0;
  private failures = 0;
  private lastStart = 0;
  /** Changes taken from the source but not yet synced (kept across a failed sync). */
  private readonly pending = new Set<ServicePortKey>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: ProxierOptions) {}

  /** Starts with a full sync, then syncs on every change and periodically. */
  start(): void {
    this.fullTimer = setInterval(() => {
      this.resyncDue = true;
      this.requestSync();
    }, this.opts.fullSyncIntervalMs ?? 30_000);
    this.fullTimer.unref?.();
    this.requestSync();
  }

  /** Something changed: a sync runs soon (coalesced with others). */
  requestSync(delayMs?: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.timer) return;
    const min = this.opts.minSyncIntervalMs ?? 2;
    const wait = delayMs ?? Math.max(0, this.lastStart + min - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, wait);
  }

  /** Resolves once no sync is running or scheduled (tests, benchmarks). */
  idle(): Promise<void> {
    if (!this.running && !this.timer) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.lastStart = Date.now();
    const { snapshot, changed, all } = this.opts.source.take();
    for (const k of changed) this.pending.add(k);
    if (this.resyncDue) {
      this.resyncDue = false;
      const stale = Date.now() - this.lastFull >= (this.opts.fullSyncMaxAgeMs ?? 3_600_000);
      if (stale || !(await this.intact())) this.needFull = true;
    }
    const full = this.needFull || all;
    let retryIn: number | undefined;
    if (full || this.pending.size > 0) {
      const started = performance.now();
      try {
        await this.opts.mode.sync(snapshot, full ? 'all' : new Set(this.pending));
        const ms = performance.now() - started;
        syncDuration.observe({ mode: this.opts.mode.name, kind: full ? 'full' : 'partial' }, ms / 1000);
        const count = full ? snapshot.services.size : this.pending.size;
        this.pending.clear();
        this.needFull = false;
        if (full) this.lastFull = Date.now();
        this.failures = 0;
        this.opts.healthChecks?.update(snapshot);
        this.opts.onSynced?.({ snapshot, full, changed: count, ms });
      } catch (err) {
        syncFailures.inc({ mode: this.opts.mode.name });
        this.failures++;
        // What failed may have been half-written by someone else's hand: start over from scratch.
        this.needFull = true;
        const max = this.opts.retryMaxMs ?? 10_000;
        retryIn = Math.min(max, (this.opts.retryInitialMs ?? 100) * 2 ** (this.failures - 1));
        this.opts.log.error('proxy rules sync failed; retrying', {
          mode: this.opts.mode.name,
          error: (err as Error).message,
          failures: this.failures,
          retryInMs: retryIn,
        });
      }
    }
    this.running = false;
    if (retryIn !== undefined) this.requestSync(retryIn);
    else if (this.rerun) {
      this.rerun = false;
      this.requestSync();
    }
    if (!this.timer) for (const w of this.idleWaiters.splice(0)) w();
  }

  private async intact(): Promise<boolean> {
    if (!this.opts.mode.intact) return false;
    try {
      const ok = await this.opts.mode.intact();
      if (!ok) this.opts.log.warn('proxy rules were changed by someone else; rewriting them all', { mode: this.opts.mode.name });
      return ok;
    } catch (err) {
      this.opts.log.warn('could not check the proxy rules; rewriting them all', { mode: this.opts.mode.name, error: (err as Error).message });
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.fullTimer);
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
