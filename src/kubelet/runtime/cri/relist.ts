// Container events for runtimes without CRI GetContainerEvents (containerd 1.6): list the
// containers every period and report what changed since the last list, as the kubelet's
// generic PLEG does. Lists only while someone listens.
import type { ContainerEvent } from '../types.js';
import type { ListedContainer } from './convert.js';

export interface RelisterOptions {
  list(): Promise<ListedContainer[]>;
  periodMs?: number;
  /** Called when listing starts failing (once until a list succeeds again). */
  onError?(err: Error): void;
  now?: () => number;
}

/** The events that take `before` to `after`, in the order a watcher would have seen them. */
export function diffContainers(before: Map<string, ListedContainer>, after: Map<string, ListedContainer>, nowNs: bigint): ContainerEvent[] {
  const out: ContainerEvent[] = [];
  const ev = (c: ListedContainer, type: ContainerEvent['type']) => out.push({ containerId: c.id, podSandboxId: c.podSandboxId, type, createdAt: nowNs });
  for (const [id, c] of after) {
    const old = before.get(id);
    if (old?.state === c.state) continue;
    if (!old) ev(c, 'CONTAINER_CREATED_EVENT');
    // A container can pass through several states between two lists: report each step it took.
    const wasStarted = old?.state === 'CONTAINER_RUNNING' || old?.state === 'CONTAINER_EXITED';
    if ((c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_EXITED') && !wasStarted) ev(c, 'CONTAINER_STARTED_EVENT');
    if (c.state === 'CONTAINER_EXITED') ev(c, 'CONTAINER_STOPPED_EVENT');
  }
  for (const [id, c] of before) if (!after.has(id)) ev(c, 'CONTAINER_DELETED_EVENT');
  return out;
}

export class ContainerRelister {
  private readonly listeners = new Set<(ev: ContainerEvent) => void>();
  private last?: Map<string, ListedContainer>;
  private timer?: NodeJS.Timeout;
  private running = false;
  /** Set while lists fail, so that a runtime being restarted is reported once, not every period. */
  private failing = false;

  constructor(private readonly opts: RelisterOptions) {}

  subscribe(listener: (ev: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = undefined;
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.relist(), ms);
    this.timer.unref?.();
  }

  /** One list and the events it implies; the first list only records what exists. */
  async relist(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = new Map<string, ListedContainer>();
      for (const c of await this.opts.list()) now.set(c.id, c);
      if (this.last && this.listeners.size) {
        const events = diffContainers(this.last, now, BigInt(this.opts.now?.() ?? Date.now()) * 1_000_000n);
        for (const ev of events) for (const l of [...this.listeners]) l(ev);
      }
      this.last = now;
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.opts.onError?.(err as Error);
      this.failing = true;
    } finally {
      this.running = false;
      if (this.listeners.size) this.schedule(this.opts.periodMs ?? 1000);
    }
  }
}
