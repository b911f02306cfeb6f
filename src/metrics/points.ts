// One node's scrape, decoded: the node's and each container's cumulative CPU and working
// set with the time each was sampled, as metrics-server's decoder reads /metrics/resource.
import { parsePromText } from './prom-text.js';

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
  const containerOf = (l: Record<string, string>): Partial<Point> | undefined => {
    if (!l.namespace || !l.pod || !l.container) return undefined;
    const key = `${l.namespace}/${l.pod}`;
    let p = containers.get(key);
    if (!p) containers.set(key, (p = new Map()));
    let c = p.get(l.container);
    if (!c) p.set(l.container, (c = empty()));
    return c;
  };
  for (const s of parsePromText(text)) {
    const at = s.timestampMs ?? scrapedAt;
    switch (s.name) {
      case 'node_cpu_usage_seconds_total':
        node ??= empty();
        node.cpuSeconds = s.value;
        node.cpuAt = at;
        break;
      case 'node_memory_working_set_bytes':
        node ??= empty();
        node.memoryBytes = s.value;
        node.memoryAt = at;
        break;
      case 'container_cpu_usage_seconds_total': {
        const c = containerOf(s.labels);
        if (c) {
          c.cpuSeconds = s.value;
          c.cpuAt = at;
        }
        break;
      }
      case 'container_memory_working_set_bytes': {
        const c = containerOf(s.labels);
        if (c) {
          c.memoryBytes = s.value;
          c.memoryAt = at;
        }
        break;
      }
      case 'container_start_time_seconds': {
        const c = containerOf(s.labels);
        if (c) c.startedAt = s.value * 1000;
        break;
      }
    }
  }
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
