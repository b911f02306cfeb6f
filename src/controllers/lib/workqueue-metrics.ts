// The controller manager's workqueue_* series (client-go's names, labels and buckets), fed
// by every named work queue in the process once installed.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { setQueueMetricsProvider, type QueueMetrics } from '../../client/workqueue-metrics.js';

// client-go's buckets: 10 ns to 10 s, by tens.
const WORKQUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);

let installed: Registry | undefined;

/** Installs the process's work queue metrics (once) and returns the registry they are in. */
export function installWorkQueueMetrics(): Registry {
  if (installed) return installed;
  const registry = new Registry();
  const registers = [registry];
  const depth = new Gauge({ name: 'workqueue_depth', help: 'Current depth of workqueue', labelNames: ['name'], registers });
  const adds = new Counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by workqueue', labelNames: ['name'], registers });
  const queued = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested.',
    labelNames: ['name'],
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  const worked = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes.',
    labelNames: ['name'],
    buckets: WORKQUEUE_BUCKETS,
    registers,
  });
  const retries = new Counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by workqueue', labelNames: ['name'], registers });
  const byName = new Map<string, QueueMetrics>();
  setQueueMetricsProvider((name) => {
    let m = byName.get(name);
    if (!m) {
      const d = depth.labels({ name });
      const a = adds.labels({ name });
      const q = queued.labels({ name });
      const w = worked.labels({ name });
      const r = retries.labels({ name });
      d.set(0);
      m = { depth: (n) => d.set(n), added: () => a.inc(), queued: (s) => q.observe(s), worked: (s) => w.observe(s), retried: () => r.inc() };
      byName.set(name, m);
    }
    return m;
  });
  installed = registry;
  return registry;
}
