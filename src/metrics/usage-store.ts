// The last two scrapes of every node and what they say about usage, as metrics-server's
// storage keeps them: CPU is the rate between the two readings of a cumulative counter
// (so a node or container needs two scrapes before it has figures), memory is the latest
// working set. A counter that went back, or a container that restarted, starts over.
import type { NodeScrape, Point } from './points.js';

export interface Usage {
  /** Cores, in nanocores. */
  cpuNanoCores: number;
  memoryBytes: number;
  /** End of the window, ms since the epoch. */
  timestamp: number;
  windowMs: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  node: string;
  containers: { name: string; usage: Usage }[];
  timestamp: number;
  windowMs: number;
}

function rate(prev: Point | undefined, last: Point): Usage | undefined {
  if (!prev) return undefined;
  if (prev.startedAt !== undefined && last.startedAt !== undefined && Math.abs(prev.startedAt - last.startedAt) > 1) return undefined;
  const windowMs = last.cpuAt - prev.cpuAt;
  if (windowMs <= 0 || last.cpuSeconds < prev.cpuSeconds) return undefined;
  const cpuNanoCores = Math.round(((last.cpuSeconds - prev.cpuSeconds) / (windowMs / 1000)) * 1e9);
  return { cpuNanoCores, memoryBytes: Math.round(last.memoryBytes), timestamp: last.cpuAt, windowMs };
}

interface NodeEntry {
  prev?: NodeScrape;
  last: NodeScrape;
  node?: Usage;
  pods: Map<string, PodUsage>;
}

export class UsageStore {
  private readonly nodes = new Map<string, NodeEntry>();
  /** namespace/name → the node whose scrape holds the pod (a pod moves only by being recreated). */
  private readonly podNode = new Map<string, string>();
  /** Every pod's usage in list order, kept until the next scrape or forget changes them. */
  private sorted: PodUsage[] | undefined;

  /** A fresh scrape of `node`: the previous one becomes the start of the window. */
  record(node: string, scrape: NodeScrape): void {
    const before = this.nodes.get(node);
    const prev = before?.last;
    const entry: NodeEntry = { prev, last: scrape, pods: new Map() };
    if (scrape.node) entry.node = rate(prev?.node, scrape.node);
    if (before) for (const key of before.pods.keys()) if (this.podNode.get(key) === node) this.podNode.delete(key);
    for (const [key, containers] of scrape.pods) {
      const old = prev?.pods.get(key);
      const out: PodUsage['containers'] = [];
      let complete = true;
      for (const [name, point] of containers) {
        const u = rate(old?.get(name), point);
        if (!u) {
          complete = false;
          break;
        }
        out.push({ name, usage: u });
      }
      // A pod is shown only when every one of its containers has figures (metrics-server does the same).
      if (!complete || !out.length) continue;
      const slash = key.indexOf('/');
      const timestamp = Math.max(...out.map((c) => c.usage.timestamp));
      const windowMs = Math.max(...out.map((c) => c.usage.windowMs));
      entry.pods.set(key, { namespace: key.slice(0, slash), name: key.slice(slash + 1), node, containers: out, timestamp, windowMs });
      this.podNode.set(key, node);
    }
    this.nodes.set(node, entry);
    this.sorted = undefined;
  }

  /** The node did not answer, or is gone: its figures are left out until it answers twice again. */
  forget(node: string): void {
    const e = this.nodes.get(node);
    if (!e) return;
    for (const key of e.pods.keys()) if (this.podNode.get(key) === node) this.podNode.delete(key);
    this.nodes.delete(node);
    this.sorted = undefined;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  node(name: string): Usage | undefined {
    return this.nodes.get(name)?.node;
  }

  pod(namespace: string, name: string): PodUsage | undefined {
    const key = `${namespace}/${name}`;
    const node = this.podNode.get(key);
    return node === undefined ? undefined : this.nodes.get(node)?.pods.get(key);
  }

  /** Pods' usage in the order of their storage keys (namespace, then name, byte-wise), as a list of pods comes. */
  *pods(namespace?: string): Iterable<PodUsage> {
    if (!this.sorted) {
      const all: { key: string; usage: PodUsage }[] = [];
      // NUL sorts below every character a namespace may hold, so one string compare orders by namespace, then name.
      for (const e of this.nodes.values()) for (const p of e.pods.values()) all.push({ key: `${p.namespace}\0${p.name}`, usage: p });
      all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.sorted = all.map((a) => a.usage);
    }
    for (const p of this.sorted) if (namespace === undefined || p.namespace === namespace) yield p;
  }
}
