// kube-scheduler's Prometheus series: pods waiting in each part of the queue and every
// scheduling attempt by result and profile. One registry per process; the scheduler made
// on each won lease reports into it.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

// kube-scheduler's buckets: 1 ms doubling, 15 of them (to about 16 s).
const ATTEMPT_BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

export class SchedulerMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'result' | 'profile'>;
  private readonly attemptDuration: Histogram<'result' | 'profile'>;
  private pending: () => Record<string, number> = () => ({ active: 0, backoff: 0, unschedulable: 0 });

  constructor() {
    const registers = [this.registry];
    const self = this;
    new Gauge({
      name: 'scheduler_pending_pods',
      help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods.",
      labelNames: ['queue'],
      registers,
      collect() {
        for (const [queue, n] of Object.entries(self.pending())) this.set({ queue }, n);
      },
    });
    this.attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. Unschedulable means a pod could not be scheduled, while error means an internal scheduler problem.',
      labelNames: ['result', 'profile'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
      labelNames: ['result', 'profile'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
  }

  /** Where the queue sizes come from (the scheduler currently leading). */
  watchQueue(sizes: () => Record<string, number>): void {
    this.pending = sizes;
  }

  /** One attempt that began at `startMs` (performance.now()). */
  attempt(result: AttemptResult, profile: string, startMs: number): void {
    this.attempts.inc({ result, profile });
    this.attemptDuration.observe({ result, profile }, (performance.now() - startMs) / 1000);
  }
}
