// A pod's volumes come first: until preparePod has succeeded once there is no sandbox.
// Failures are FailedMount events, retried with back-off (1 s doubling to 30 s).
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Backoff } from '../container/backoff.js';
import { RETRY_MS } from './containers.js';
import type { SyncLoop } from './sync-loop.js';
import type { PodSyncDeps } from './worker-deps.js';

const KEY = 'prepare';

export class PodVolumeSetup {
  private prepared = false;
  private failedAt?: number;
  private readonly backoff: Backoff;

  constructor(
    private readonly deps: Pick<PodSyncDeps, 'preparePod' | 'event'>,
    private readonly now: () => number,
    /** Where another sync is asked for while the volumes wait for their retry. */
    private readonly loop: Pick<SyncLoop, 'later'>,
  ) {
    this.backoff = new Backoff(RETRY_MS, 30_000, now);
  }

  /** True once the volumes are ready; false while waiting (another sync is then scheduled). */
  async ready(pod: Pod): Promise<boolean> {
    if (this.prepared || !this.deps.preparePod) return true;
    if (this.failedAt !== undefined) {
      const until = this.backoff.until(KEY, this.failedAt);
      if (until !== undefined) {
        this.loop.later(until - this.now());
        return false;
      }
    }
    try {
      await this.deps.preparePod(pod);
      this.prepared = true;
      this.backoff.reset(KEY);
      return true;
    } catch (err) {
      this.deps.event?.(pod, 'Warning', 'FailedMount', (err as Error).message);
      this.failedAt = this.now();
      this.loop.later(this.backoff.next(KEY, this.failedAt));
      return false;
    }
  }
}
