// One node's scrape, decoded: the node's and each container's cumulative CPU and working
// set with the time each was sampled, as metrics-server's decoder reads /metrics/resource.
import { eachPromSample } from './prom-text.js';

export interface Point {
  /** Cumulative CPU time, seconds. */
  cpuSeconds: number;
  /** When the CPU counter was read, ms since the epoch. */
  cpuAt: number;
  memoryBytes: number;
  memoryAt: number;
  /** Container start (ms since the epoch); a change means a restart, so the counter began again. */
  startedAt?: number;
}

export interface NodeScrape {
  node?: Point;
  /** Keyed by namespace/pod, then container name. */
  pods: Map<string, Map<string, Point>>;
}

const empty = (): Partial<Point> => ({});

export function decodeResourceMetrics(text: string, scrapedAt: number): NodeScrape {
  let node: Partial<Point> | undefined;
  const containers = new Map<string, Map<string, Partial<Point>>>();
  // The reader hands out one labels object per series: a container's three lines (in three
  // families, so far apart) find their point by that object instead of building its key again.
  const byLabels = new Map<Record<string, string>, Partial<Point> | undefined>();
  const containerOf = (l: Record<string, string>): Partial<Point> | undefined => {
    if (byLabels.has(l)) return byLabels.get(l);
    const c = find(l);
    byLabels.set(l, c);
    return c;
  };
  const find = (l: Record<string, string>): Partial<Point> | undefined => {
    if (!l.namespace || !l.pod || !l.container) return undefined;
    const key = `${l.namespace}/${l.pod}`;
    let p = containers.get(key);
    if (!p) containers.set(key, (p = new Map()));
    let c = p.get(l.container);
    if (!c) p.set(l.container, (c = empty()));
    return c;
  };
  eachPromSample(text, (name, labels, value, timestampMs) => {
    const at = timestampMs ?? scrapedAt;
    switch (name) {
      case 'node_cpu_usage_seconds_total':
        node ??= empty();
        node.cpuSeconds = value;
        node.cpuAt = at;
        break;
      case 'node_memory_working_set_bytes':
        node ??= empty();
        node.memoryBytes = value;
        node.memoryAt = at;
        break;
      case 'container_cpu_usage_seconds_total': {
        const c = containerOf(labels);
        if (c) {
          c.cpuSeconds = value;
          c.cpuAt = at;
        }
        break;
      }
      case 'container_memory_working_set_bytes': {
        const c = containerOf(labels);
        if (c) {
          c.memoryBytes = value;
          c.memoryAt = at;
        }
        break;
      }
      case 'container_start_time_seconds': {
        const c = containerOf(labels);
        if (c) c.startedAt = value * 1000;
        break;
      }
    }
  });
  const complete = (p: Partial<Point> | undefined): p is Point =>
    !!p && Number.isFinite(p.cpuSeconds) && Number.isFinite(p.memoryBytes) && p.cpuAt !== undefined && p.memoryAt !== undefined;
  const pods = new Map<string, Map<string, Point>>();
  for (const [key, cs] of containers) {
    const done = new Map<string, Point>();
    for (const [name, c] of cs) if (complete(c)) done.set(name, c);
    if (done.size) pods.set(key, done);
  }
  return { node: complete(node) ? node : undefined, pods };
}
