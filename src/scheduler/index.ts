// Runs the scheduler in a process under leader election (Lease kube-system/kube-scheduler),
// so that of several servers exactly one schedules, and another takes over when it dies.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Client } from '../client/client.js';
import { LeaderElector } from '../client/leader-election.js';
import type { Logger } from '../util/log.js';
import { defaultConfig, loadSchedulerConfig, type SchedulerConfig } from './config.js';
import { Scheduler } from './scheduler.js';
import { SchedulerMetrics } from './metrics.js';

export { Scheduler } from './scheduler.js';
export type { SchedulerConfig } from './config.js';
export { SchedulerMetrics } from './metrics.js';

export interface RunningScheduler {
  isLeader(): boolean;
  current(): Scheduler | undefined;
  /** kube-scheduler's series, for the process's /metrics. */
  readonly metrics: SchedulerMetrics;
  stop(): Promise<void>;
}

export interface SchedulerStartOptions {
  configFile?: string;
  config?: SchedulerConfig;
  leaderElect?: boolean;
  identity?: string;
  /** Lease timing; Kubernetes' 15/10/2 by default. */
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

export function startScheduler(client: Client, log: Logger, opts: SchedulerStartOptions = {}): RunningScheduler {
  const config = opts.config ?? (opts.configFile ? loadSchedulerConfig(opts.configFile) : defaultConfig());
  const metrics = new SchedulerMetrics();
  let scheduler: Scheduler | undefined;
  const lead = () => {
    scheduler = new Scheduler({ client, log, config, metrics });
    void scheduler.run().catch((e) => log.error('scheduler stopped with an error', { error: (e as Error).stack }));
  };
  if (opts.leaderElect === false) {
    lead();
    return { isLeader: () => true, current: () => scheduler, metrics, stop: async () => scheduler?.stop() };
  }
  // A stable identity (the server passes one per data dir) lets a restarted server take its own lease back at once.
  const identity = opts.identity ?? `${hostname()}_${randomBytes(8).toString('hex')}`;
  let elector: LeaderElector | undefined;
  let stopped = false;
  // An elector runs once: after losing the lease (a store hiccup) this process campaigns
  // again, or a cluster whose other servers are gone would be left without a scheduler.
  const campaign = async () => {
    while (!stopped) {
      elector = new LeaderElector({
        leases: client.leases,
        namespace: 'kube-system',
        name: 'kube-scheduler',
        identity,
        leaseDurationSeconds: opts.leaseDurationSeconds,
        renewDeadlineSeconds: opts.renewDeadlineSeconds,
        retryPeriodSeconds: opts.retryPeriodSeconds,
        onStartedLeading: () => {
          log.info('became leader; scheduling', { identity });
          lead();
        },
        onStoppedLeading: () => {
          log.info('lost leadership; scheduling stopped', { identity });
          scheduler?.stop();
          scheduler = undefined;
        },
        onError: (e) => log.warn('leader election', { error: (e as Error).message }),
      });
      await elector.run();
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void campaign();
  return {
    isLeader: () => !!elector?.isLeader(),
    current: () => scheduler,
    metrics,
    async stop() {
      stopped = true;
      await elector?.stop();
    },
  };
}
