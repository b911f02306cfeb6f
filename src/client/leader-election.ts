// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does.
// Candidates judge expiry by when *they* last saw the lease change (local clock), never by
// the renewTime written by another machine, so clock skew between machines cannot make two
// leaders. The leader gives up after renewDeadline without a successful renewal, which is
// shorter than the leaseDuration others wait: it stops before anyone else starts.
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from './transport.js';
import type { ResourceClient } from './client.js';
import { microTime } from '../util/time.js';

export interface LeaderElectionConfig {
  leases: ResourceClient<Lease>;
  namespace: string;
  /** Name of the Lease object. */
  name: string;
  /** Unique among candidates, e.g. hostname plus a random suffix. */
  identity: string;
  /** How long others wait after the lease last changed before taking it; default 15. */
  leaseDurationSeconds?: number;
  /** How long the leader keeps trying to renew before it gives up; default 10. */
  renewDeadlineSeconds?: number;
  /** Time between attempts; default 2. */
  retryPeriodSeconds?: number;
  /** Write an empty holder when stopped while leading, so a successor need not wait; default true. */
  releaseOnStop?: boolean;
  /** Start leading work; `signal` aborts when leadership ends. May return a promise. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended (lost or stopped); called only after onStartedLeading. */
  onStoppedLeading(): void;
  /** The observed holder changed (including to ourselves). */
  onNewLeader?(identity: string): void;
  /** Hears about failed API calls and throwing callbacks; default console.warn. */
  onError?(err: unknown): void;
}

export class LeaderElector {
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private stopped = false;
  private leading = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private observedSpec = '';
  private observedAt = 0;
  private observedHolder: string | undefined;

  constructor(private readonly cfg: LeaderElectionConfig) {
    this.leaseMs = (cfg.leaseDurationSeconds ?? 15) * 1000;
    this.renewMs = (cfg.renewDeadlineSeconds ?? 10) * 1000;
    this.retryMs = (cfg.retryPeriodSeconds ?? 2) * 1000;
    if (!cfg.identity) throw new TypeError('leader election needs an identity');
    if (this.leaseMs <= this.renewMs) throw new TypeError('leaseDurationSeconds must be greater than renewDeadlineSeconds');
    if (this.renewMs <= this.retryMs * 1.2) throw new TypeError('renewDeadlineSeconds must be greater than 1.2 × retryPeriodSeconds');
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder as last observed ('' or undefined: nobody). */
  getLeader(): string | undefined {
    return this.observedHolder;
  }

  /**
   * Campaigns until it acquires the lease, then leads until leadership is lost or stop()
   * is called. Resolves when it is over; an elector runs once (make a new one to retry).
   */
  run(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.campaign();
    return this.running;
  }

  /** Ends the campaign or the leadership (releasing the lease if so configured) and waits for run() to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private report(err: unknown): void {
    if (this.cfg.onError) this.cfg.onError(err);
    else console.warn(`leader election ${this.cfg.namespace}/${this.cfg.name}: ${(err as Error)?.message ?? err}`);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async campaign(): Promise<void> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) break;
      await this.sleep(this.retryMs * (1 + 1.2 * Math.random()));
    }
    if (this.stopped) return;

    this.leading = true;
    const abort = new AbortController();
    try {
      const r = this.cfg.onStartedLeading(abort.signal);
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch((e) => this.report(e));
    } catch (e) {
      this.report(e);
    }

    let lastRenew = Date.now();
    while (!this.stopped) {
      await this.sleep(this.retryMs);
      if (this.stopped) break;
      const left = lastRenew + this.renewMs - Date.now();
      if (left > 0 && (await this.withDeadline(this.tryAcquireOrRenew(), left))) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= this.renewMs) break;
    }

    this.leading = false;
    abort.abort();
    try {
      this.cfg.onStoppedLeading();
    } catch (e) {
      this.report(e);
    }
    // Released only after the work was told to stop, so the successor never overlaps it.
    if (this.stopped && this.cfg.releaseOnStop !== false) await this.release();
  }

  private withDeadline(p: Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      p.then(
        (ok) => {
          clearTimeout(t);
          resolve(ok);
        },
        () => {
          clearTimeout(t);
          resolve(false);
        },
      );
    });
  }

  private observe(spec: LeaseSpec, now: number): void {
    const text = JSON.stringify(spec);
    if (text === this.observedSpec) return;
    this.observedSpec = text;
    this.observedAt = now;
    if (spec.holderIdentity !== this.observedHolder) {
      this.observedHolder = spec.holderIdentity;
      if (spec.holderIdentity) {
        try {
          this.cfg.onNewLeader?.(spec.holderIdentity);
        } catch (e) {
          this.report(e);
        }
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { leases, namespace, name, identity } = this.cfg;
    const now = Date.now();
    const leaseDurationSeconds = this.leaseMs / 1000;
    try {
      let lease: Lease;
      try {
        lease = await leases.get(name, namespace);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        const spec: LeaseSpec = {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        };
        const created = await leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec });
        this.observe(created.spec ?? spec, now);
        return true;
      }
      const old = lease.spec ?? {};
      this.observe(old, now);
      const holder = old.holderIdentity;
      const ours = holder === identity;
      const validFor = (old.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (holder && !ours && this.observedAt + validFor > now) return false;
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: ours && old.acquireTime ? old.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: ours ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1,
      };
      const updated = await leases.update({ ...lease, spec });
      this.observe(updated.spec ?? spec, now);
      return true;
    } catch (e) {
      // Losing a race (AlreadyExists, Conflict) is an ordinary "not this time".
      if (!isAlreadyExists(e) && !isConflict(e)) this.report(e);
      return false;
    }
  }

  private async release(): Promise<void> {
    const { leases, namespace, name, identity } = this.cfg;
    try {
      const lease = await leases.get(name, namespace);
      if (lease.spec?.holderIdentity !== identity) return;
      const now = microTime(Date.now());
      const spec: LeaseSpec = {
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: lease.spec.leaseTransitions ?? 0,
      };
      await leases.update({ ...lease, spec });
    } catch (e) {
      this.report(e);
    }
  }
}
