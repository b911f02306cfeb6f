// The kubelet's Summary API (stats/v1alpha1), the subset Skiff fills: what GET
// /stats/summary answers and what /metrics/resource is written from. Times are RFC 3339
// strings as the kubelet writes them; counters are plain numbers (float64-safe up to
// 2^53 ns ≈ 104 days of one core, more than a scrape window ever needs to difference).

export interface CPUStats {
  time: string;
  /** Average over the last sampling window, in billionths of a core. */
  usageNanoCores?: number;
  /** Cumulative CPU time since the container (or node) started. */
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface InterfaceStats {
  name: string;
  rxBytes?: number;
  rxErrors?: number;
  txBytes?: number;
  txErrors?: number;
}

export interface NetworkStats extends Partial<InterfaceStats> {
  time: string;
  interfaces?: InterfaceStats[];
}

export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu?: CPUStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  'ephemeral-storage'?: FsStats;
  process_stats?: { process_count?: number };
}

export interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  fs?: FsStats;
  runtime?: { imageFs?: FsStats };
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

/** Where an agent's figures come from: its pods' cgroups through CRI, or the simulation's annotations. */
export interface StatsProvider {
  summary(): Promise<Summary>;
}

/** Sums the CPU and memory of containers into pod (or node) totals. */
export function sumUsage(parts: { cpu?: CPUStats; memory?: MemoryStats }[], time: string): { cpu: CPUStats; memory: MemoryStats } {
  let nano = 0;
  let cum = 0;
  let ws = 0;
  let usage = 0;
  for (const p of parts) {
    nano += p.cpu?.usageNanoCores ?? 0;
    cum += p.cpu?.usageCoreNanoSeconds ?? 0;
    ws += p.memory?.workingSetBytes ?? 0;
    usage += p.memory?.usageBytes ?? 0;
  }
  return { cpu: { time, usageNanoCores: nano, usageCoreNanoSeconds: cum }, memory: { time, workingSetBytes: ws, usageBytes: usage } };
}
