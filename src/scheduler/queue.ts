// The scheduling queue, as kube-scheduler's PriorityQueue: activeQ (highest priority
// first, then oldest), backoffQ (pods waiting out a failed attempt: 1 s doubling to 10 s),
// and the unschedulable pods, which only a cluster event that could help one of the
// plugins that rejected them brings back — no polling, apart from Kubernetes' own
// 5-minute safety flush.
import { KeyedHeap } from './heap.js';
import type { PodInfo } from './pod-info.js';
import type { ClusterEvent } from './types.js';

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods older than this are retried anyway; default 5 minutes. */
  maxUnschedulableMs?: number;
  now?: () => number;
  /** Which events each plugin wants to hear about. */
  pluginEvents?: Map<string, Set<ClusterEvent>>;
}

export class SchedulingQueue {
  private readonly activeQ = new KeyedHeap<PodInfo>(
    (p) => p.key,
    (a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp),
  );
  private readonly backoffQ = new KeyedHeap<PodInfo>(
    (p) => p.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, { p: PodInfo; since: number }>();
  private readonly lastFailure = new Map<string, number>();
  /** Keys handed out and not yet done(); an event during that time sends them to backoff. */
  private readonly inFlight = new Map<string, boolean>();
  private waiters: ((p: PodInfo | undefined) => void)[] = [];
  private closed = false;
  private backoffTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: QueueOptions = {}) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.flushTimer = setInterval(() => this.flushOldUnschedulable(), 30_000);
    this.flushTimer.unref?.();
  }

  backoffDuration(p: PodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < p.attempts && d < this.maxBackoffMs; i++) d *= 2;
    return Math.min(d, this.maxBackoffMs);
  }

  private backoffExpiry(p: PodInfo): number {
    return (this.lastFailure.get(p.key) ?? 0) + this.backoffDuration(p);
  }

  private isBackingOff(p: PodInfo): boolean {
    return p.attempts > 0 && this.backoffExpiry(p) > this.now();
  }

  get pendingCount(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size };
  }

  has(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key) || this.inFlight.has(key);
  }

  /** A new pending pod. */
  add(p: PodInfo): void {
    if (!p.timestamp) p.timestamp = this.now();
    this.unschedulable.delete(p.key);
    this.backoffQ.delete(p.key);
    this.pushActive(p);
  }

  private pushActive(p: PodInfo): void {
    this.activeQ.push(p);
    const w = this.waiters.shift();
    if (w) w(this.activeQ.pop());
  }

  /**
   * The pending pod changed. A pod waiting as unschedulable gets another chance, since its
   * own spec (tolerations, affinity, resources) may be what changed.
   */
  update(p: PodInfo, changed = true): void {
    const prev = this.activeQ.get(p.key) ?? this.backoffQ.get(p.key) ?? this.unschedulable.get(p.key)?.p;
    if (prev) {
      p.timestamp = prev.timestamp;
      p.attempts = prev.attempts;
      p.unschedulablePlugins = prev.unschedulablePlugins;
    }
    if (this.activeQ.has(p.key)) return this.activeQ.push(p);
    if (this.backoffQ.has(p.key)) return this.backoffQ.push(p);
    if (this.inFlight.has(p.key)) {
      if (changed) this.inFlight.set(p.key, true);
      return;
    }
    const waiting = this.unschedulable.get(p.key);
    if (waiting && !changed) {
      // Only the status moved (our own condition write): keep waiting, with the new object.
      waiting.p = p;
      return;
    }
    if (!waiting) return;
    this.unschedulable.delete(p.key);
    if (this.isBackingOff(p)) this.pushBackoff(p);
    else this.add(p);
  }

  delete(key: string): void {
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.lastFailure.delete(key);
  }

  /** Resolves with the next pod to schedule, waiting if there is none; undefined once closed. */
  pop(): Promise<PodInfo | undefined> {
    const p = this.activeQ.pop();
    if (p) {
      this.handOut(p);
      return Promise.resolve(p);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) =>
      this.waiters.push((q) => {
        if (q) this.handOut(q);
        resolve(q);
      }),
    );
  }

  /** The same as pop() when a pod is ready now, without a promise. */
  tryPop(): PodInfo | undefined {
    const p = this.activeQ.pop();
    if (p) this.handOut(p);
    return p;
  }

  private handOut(p: PodInfo): void {
    p.attempts++;
    this.inFlight.set(p.key, false);
  }

  /** Scheduling of a handed-out pod ended (bound, or requeued). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The attempt failed. `unschedulable` false means an error (straight to backoff). A
   * cluster event while the pod was in flight means the verdict may be stale: backoff too.
   */
  requeue(p: PodInfo, unschedulable: boolean): void {
    const eventSeen = this.inFlight.get(p.key) === true;
    this.inFlight.delete(p.key);
    if (this.closed) return;
    this.lastFailure.set(p.key, this.now());
    if (!unschedulable || eventSeen) this.pushBackoff(p);
    else this.unschedulable.set(p.key, { p, since: this.now() });
  }

  private pushBackoff(p: PodInfo): void {
    this.backoffQ.push(p);
    this.armBackoffTimer();
  }

  private armBackoffTimer(): void {
    if (this.backoffTimer || this.closed) return;
    const head = this.backoffQ.peek();
    if (!head) return;
    const wait = Math.max(0, this.backoffExpiry(head) - this.now());
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.flushBackoff();
    }, Math.min(wait, this.maxBackoffMs) + 1);
  }

  private flushBackoff(): void {
    const now = this.now();
    for (let head = this.backoffQ.peek(); head && this.backoffExpiry(head) <= now; head = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.pushActive(head);
    }
    this.armBackoffTimer();
  }

  private flushOldUnschedulable(): void {
    const now = this.now();
    for (const [key, { p, since }] of this.unschedulable)
      if (now - since >= this.maxUnschedulableMs) {
        this.unschedulable.delete(key);
        this.moveOne(p);
      }
  }

  private moveOne(p: PodInfo): void {
    if (this.isBackingOff(p)) this.pushBackoff(p);
    else this.pushActive(p);
  }

  private interested(p: PodInfo, ev: ClusterEvent): boolean {
    if (!p.unschedulablePlugins.size || !this.opts.pluginEvents) return true;
    for (const name of p.unschedulablePlugins) if (this.opts.pluginEvents.get(name)?.has(ev)) return true;
    return false;
  }

  /**
   * A cluster event happened: unschedulable pods rejected by a plugin that cares about it
   * go back to be tried (through backoff when still backing off). `filter`, when given,
   * narrows it further (e.g. only pods a deleted pod's node could now hold).
   */
  moveAllOnEvent(ev: ClusterEvent, filter?: (p: PodInfo) => boolean): number {
    for (const k of this.inFlight.keys()) this.inFlight.set(k, true);
    let moved = 0;
    for (const [key, { p }] of this.unschedulable) {
      if (!this.interested(p, ev) || (filter && !filter(p))) continue;
      this.unschedulable.delete(key);
      this.moveOne(p);
      moved++;
    }
    return moved;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.backoffTimer);
    clearInterval(this.flushTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
