// Runs the scheduler in a process under leader election (Lease kube-system/kube-scheduler),
// so that of several servers exactly one schedules, and another takes over when it dies.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Client } from '../client/client.js';
import { LeaderElector } from '../client/leader-election.js';
import type { Logger } from '../cli/log.js';
import { defaultConfig, loadSchedulerConfig, type SchedulerConfig } from './config.js';
import { Scheduler } from './scheduler.js';

export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { loadSchedulerConfig, parseSchedulerConfig, type SchedulerConfig } from './config.js';

export interface RunningScheduler {
  isLeader(): boolean;
  current(): Scheduler | undefined;
  stop(): Promise<void>;
}

export function startScheduler(client: Client, log: Logger, opts: { configFile?: string; config?: SchedulerConfig; leaderElect?: boolean; identity?: string } = {}): RunningScheduler {
  const config = opts.config ?? (opts.configFile ? loadSchedulerConfig(opts.configFile) : defaultConfig());
  let scheduler: Scheduler | undefined;
  const lead = () => {
    scheduler = new Scheduler({ client, log, config });
    void scheduler.run().catch((e) => log.error('scheduler stopped with an error', { error: (e as Error).stack }));
  };
  if (opts.leaderElect === false) {
    lead();
    return { isLeader: () => true, current: () => scheduler, stop: async () => scheduler?.stop() };
  }
  const elector = new LeaderElector({
    leases: client.leases,
    namespace: 'kube-system',
    name: 'kube-scheduler',
    // A stable identity (the server passes one per data dir) lets a restarted server take its own lease back at once.
    identity: opts.identity ?? `${hostname()}_${randomBytes(8).toString('hex')}`,
    onStartedLeading: () => {
      log.info('became leader; scheduling');
      lead();
    },
    onStoppedLeading: () => {
      log.info('lost leadership; scheduling stopped');
      scheduler?.stop();
      scheduler = undefined;
    },
    onError: (e) => log.warn('leader election', { error: (e as Error).message }),
  });
  void elector.run();
  return { isLeader: () => elector.isLeader(), current: () => scheduler, stop: () => elector.stop() };
}
