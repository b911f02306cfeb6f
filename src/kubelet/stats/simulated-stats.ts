// Usage of pods on a simulated node, from their annotations, read afresh on every call so
// that a test or benchmark can change a running pod's load: simulation.skiff.io/cpu (a
// quantity of cores, e.g. 250m) and simulation.skiff.io/memory (bytes, e.g. 64Mi) for the
// whole pod, split evenly over its containers, or simulation.skiff.io/cpu.<container> and
// simulation.skiff.io/memory.<container> for one container. CPU time accumulates at the
// current rate since the previous read, so a changed annotation shows in the next scrape.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/core/validate-helpers.js';
import { sumUsage, type ContainerStats, type PodStats, type StatsProvider, type Summary } from './summary.js';

export const SIM_CPU = 'simulation.skiff.io/cpu';
export const SIM_MEMORY = 'simulation.skiff.io/memory';

/** A non-negative quantity in nano-units, or 0 for a missing or malformed one (bad input is not an error here: it simply reads as idle). */
function nanos(v: string | undefined): number {
  if (v === undefined) return 0;
  const q = parseQuantity(v.trim());
  return q === null || q < 0n ? 0 : Number(q);
}

/** The pod's per-container usage: cpu in nanocores, memory in bytes. */
export function simulatedUsage(pod: Pod, container: string): { nanoCores: number; bytes: number } {
  const a = pod.metadata?.annotations ?? {};
  const n = Math.max(1, pod.spec?.containers?.length ?? 1);
  const cpu = a[`${SIM_CPU}.${container}`] !== undefined ? nanos(a[`${SIM_CPU}.${container}`]) : nanos(a[SIM_CPU]) / n;
  const mem = a[`${SIM_MEMORY}.${container}`] !== undefined ? nanos(a[`${SIM_MEMORY}.${container}`]) : nanos(a[SIM_MEMORY]) / n;
  // Memory quantities are in nano-units too: bytes are whole units.
  return { nanoCores: Math.round(cpu), bytes: Math.round(mem / 1e9) };
}

interface Counter {
  /** Cumulative CPU time, ns. */
  total: number;
  /** When `total` was brought up to date, ms since the epoch. */
  at: number;
}

export class SimulatedStats implements StatsProvider {
  private readonly counters = new Map<string, Counter>();
  private readonly started: string;
  private readonly node: Counter;

  constructor(
    private readonly nodeName: string,
    private readonly pods: () => Pod[],
    private readonly now: () => number = Date.now,
  ) {
    this.started = new Date(this.now()).toISOString();
    this.node = { total: 0, at: this.now() };
  }

  async summary(): Promise<Summary> {
    return this.summaryNow();
  }

  /** Synchronous: simulated nodes are scraped in-process, thousands of pods per cycle. */
  summaryNow(): Summary {
    const now = this.now();
    const time = new Date(now).toISOString();
    const seen = new Set<string>();
    const pods: PodStats[] = [];
    for (const pod of this.pods()) {
      if (pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) continue;
      const uid = pod.metadata?.uid ?? '';
      const containers: ContainerStats[] = [];
      for (const cs of pod.status?.containerStatuses ?? []) {
        const startedAt = cs.state?.running?.startedAt;
        if (!startedAt) continue;
        const key = `${uid}/${cs.name}/${startedAt}`;
        seen.add(key);
        const use = simulatedUsage(pod, cs.name);
        let c = this.counters.get(key);
        if (!c) {
          // First sight: as if it had run at today's rate since it started.
          const since = Math.max(0, now - Date.parse(String(startedAt)));
          c = { total: use.nanoCores * (since / 1000), at: now };
          this.counters.set(key, c);
        } else {
          c.total += use.nanoCores * (Math.max(0, now - c.at) / 1000);
          c.at = now;
        }
        containers.push({
          name: cs.name,
          startTime: String(startedAt),
          cpu: { time, usageNanoCores: use.nanoCores, usageCoreNanoSeconds: Math.round(c.total) },
          memory: { time, workingSetBytes: use.bytes, usageBytes: use.bytes, rssBytes: use.bytes },
        });
      }
      if (!containers.length) continue;
      const sum = sumUsage(containers, time);
      pods.push({
        podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid },
        startTime: String(pod.status?.startTime ?? containers[0]!.startTime),
        containers,
        cpu: sum.cpu,
        memory: sum.memory,
        network: { time, name: 'eth0', rxBytes: 0, txBytes: 0, rxErrors: 0, txErrors: 0 },
      });
    }
    for (const k of this.counters.keys()) if (!seen.has(k)) this.counters.delete(k);
    const node = sumUsage(pods, time);
    // The node's counter runs on its own: it must not fall when a pod goes away.
    this.node.total += (node.cpu.usageNanoCores ?? 0) * (Math.max(0, now - this.node.at) / 1000);
    this.node.at = now;
    node.cpu.usageCoreNanoSeconds = Math.round(this.node.total);
    return { node: { nodeName: this.nodeName, startTime: this.started, cpu: node.cpu, memory: node.memory }, pods };
  }
}
