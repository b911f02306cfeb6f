// Pod garbage collection: finished pods beyond a threshold (oldest first), pods bound to
// nodes that no longer exist, and terminating pods that never reached a node.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { Controller, ControllerContext } from './lib/context.js';
import { isPodTerminal } from './lib/pod-state.js';
import { formatTime } from '../util/time.js';

export interface PodGCOptions {
  /** --terminated-pod-gc-threshold; Kubernetes' default is 12500. */
  terminatedThreshold?: number;
  /** How often to look; Kubernetes' gcCheckPeriod is 20 s. */
  periodMs?: number;
  /** A node must be missing this long before its pods go (Kubernetes: 40 s quarantine). */
  quarantineMs?: number;
}

export class PodGCController implements Controller {
  readonly name = 'podgc';
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly missingSince = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private wake?: () => void;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: PodGCOptions = {},
  ) {
    this.pods = ctx.informers.informerFor(resources.pods);
    this.nodes = ctx.informers.informerFor(resources.nodes);
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.gc();
      } catch (err) {
        this.ctx.log.warn('pod gc failed', { error: (err as Error).message });
      }
      if (this.stopped) break;
      await new Promise<void>((r) => {
        this.wake = r;
        this.timer = setTimeout(r, this.opts.periodMs ?? 20_000);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  async gc(): Promise<void> {
    const pods = this.pods.store.list();
    await this.gcTerminated(pods);
    await this.gcOrphaned(pods);
    await this.gcUnscheduledTerminating(pods);
  }

  private async forceDelete(p: Pod): Promise<void> {
    try {
      await this.ctx.client.pods.delete(p.metadata!.name!, {
        namespace: p.metadata!.namespace,
        gracePeriodSeconds: 0,
        preconditions: { uid: p.metadata!.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async gcTerminated(pods: Pod[]): Promise<void> {
    const threshold = this.opts.terminatedThreshold ?? 12_500;
    if (threshold <= 0) return;
    const done = pods.filter((p) => isPodTerminal(p) && !p.metadata?.deletionTimestamp);
    if (done.length <= threshold) return;
    done.sort(
      (a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || (a.metadata!.name! < b.metadata!.name! ? -1 : 1),
    );
    for (const p of done.slice(0, done.length - threshold)) await this.forceDelete(p);
  }

  private async gcOrphaned(pods: Pod[]): Promise<void> {
    const now = this.ctx.now();
    const quarantine = this.opts.quarantineMs ?? 40_000;
    const missing = new Set<string>();
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (node && !this.nodes.store.get(node)) missing.add(node);
    }
    for (const n of [...this.missingSince.keys()]) if (!missing.has(n)) this.missingSince.delete(n);
    for (const node of missing) {
      const since = this.missingSince.get(node) ?? now;
      this.missingSince.set(node, since);
      if (now - since < quarantine) continue;
      // The informer may lag: make sure with the apiserver before deleting anything.
      try {
        await this.ctx.client.nodes.get(node);
        this.missingSince.delete(node);
        continue;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      for (const p of pods.filter((x) => x.spec?.nodeName === node)) {
        if (!isPodTerminal(p)) {
          const conditions = (p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
          conditions.push({
            type: 'DisruptionTarget',
            status: 'True',
            lastTransitionTime: formatTime(now),
            reason: 'DeletionByPodGC',
            message: 'PodGC: node no longer exists',
          });
          try {
            await this.ctx.client.pods.updateStatus({ ...p, status: { ...p.status, phase: 'Failed', conditions } }, { namespace: p.metadata!.namespace });
          } catch (err) {
            if (!isNotFound(err)) this.ctx.log.warn('could not mark orphaned pod failed', { pod: p.metadata!.name, error: (err as Error).message });
          }
        }
        await this.forceDelete(p);
      }
      this.missingSince.delete(node);
    }
  }

  private async gcUnscheduledTerminating(pods: Pod[]): Promise<void> {
    for (const p of pods) if (p.metadata?.deletionTimestamp && !p.spec?.nodeName && !(p.metadata.finalizers ?? []).length) await this.forceDelete(p);
  }
}

export const podGCController = (ctx: ControllerContext, opts?: PodGCOptions): PodGCController => new PodGCController(ctx, opts);
