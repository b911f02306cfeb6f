// What a work queue reports about itself, as client-go's workqueue.MetricsProvider: the
// process sets one provider (the controller manager's Prometheus registry) and every named
// queue reports through it; unnamed queues and processes without a provider report nothing.

export interface QueueMetrics {
  /** Keys waiting to be handed out. */
  depth(n: number): void;
  added(): void;
  /** Seconds a key waited between its add and being handed to a worker. */
  queued(seconds: number): void;
  /** Seconds a worker spent on a key. */
  worked(seconds: number): void;
  retried(): void;
}

export type QueueMetricsProvider = (queueName: string) => QueueMetrics;

let provider: QueueMetricsProvider | undefined;

/** Sets the process's provider; queues created or first used afterwards report through it. */
export function setQueueMetricsProvider(p: QueueMetricsProvider | undefined): void {
  provider = p;
}

export function queueMetricsFor(name: string | undefined): QueueMetrics | undefined {
  return name && provider ? provider(name) : undefined;
}
