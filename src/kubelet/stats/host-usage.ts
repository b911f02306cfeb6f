// The node's own CPU, memory and filesystem figures, from /proc and statfs, as the
// kubelet's root-container stats give them: CPU time of every non-idle state, and the
// working set as memory in use less the inactive file cache (reclaimable without I/O).
import { readFile, statfs } from 'node:fs/promises';
import type { CPUStats, FsStats, MemoryStats } from './summary.js';

/** Cumulative non-idle CPU time of the machine in ns, from the first line of /proc/stat. */
export function parseProcStatCpu(text: string, ticksPerSecond = 100): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
  return (busy * 1e9) / ticksPerSecond;
}

/** /proc/meminfo → bytes used, working set and available. */
export function parseMeminfo(text: string): { usageBytes: number; workingSetBytes: number; availableBytes: number } | undefined {
  const kb = (name: string) => {
    const m = new RegExp(`^${name.replace(/[()]/g, '\\$&')}:\\s+(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const free = kb('MemFree');
  if (total === undefined || free === undefined) return undefined;
  const usage = total - free;
  const inactiveFile = kb('Inactive(file)') ?? 0;
  return { usageBytes: usage, workingSetBytes: Math.max(0, usage - inactiveFile), availableBytes: kb('MemAvailable') ?? free };
}

export async function hostCpu(time: string): Promise<CPUStats | undefined> {
  try {
    const ns = parseProcStatCpu(await readFile('/proc/stat', 'utf8'));
    return ns === undefined ? undefined : { time, usageCoreNanoSeconds: Math.round(ns) };
  } catch {
    return undefined;
  }
}

export async function hostMemory(time: string): Promise<MemoryStats | undefined> {
  try {
    const m = parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
    return m && { time, ...m };
  } catch {
    return undefined;
  }
}

export async function fsStats(path: string, time: string): Promise<FsStats | undefined> {
  try {
    const s = await statfs(path);
    const capacity = s.blocks * s.bsize;
    const available = s.bavail * s.bsize;
    return {
      time,
      capacityBytes: capacity,
      availableBytes: available,
      usedBytes: capacity - s.bfree * s.bsize,
      inodes: s.files,
      inodesFree: s.ffree,
      inodesUsed: s.files - s.ffree,
    };
  } catch {
    return undefined;
  }
}
