// Memory, disk and PID pressure of a real node, decided as the kubelet's eviction manager
// decides its node conditions: signals read from the host (MemAvailable, statfs of the
// node and image filesystems, the number of tasks against pid_max) compared with the
// kubelet's default hard eviction thresholds, and a condition that went True stays True
// until no pressure has been seen for the transition period (5 min), so that a node
// hovering at a threshold does not flap.
import { readFileSync, statfsSync } from 'node:fs';

export interface FsReading {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

/** One observation of the host; a signal that could not be read is absent and never causes pressure. */
export interface HostReadings {
  memoryAvailableBytes?: number;
  /** MemTotal: what a percentage threshold on memory.available is a percentage of. */
  memoryCapacityBytes?: number;
  nodefs?: FsReading;
  /** The filesystem holding images; the same as nodefs when they share one. */
  imagefs?: FsReading;
  /** Tasks (processes and threads) that exist, and how many may. */
  pids?: { running: number; max: number };
}

/** A threshold on a signal: an absolute quantity in bytes (or count), or a percentage of its capacity. */
export type Threshold = { bytes: number } | { percent: number };

export interface EvictionThresholds {
  memoryAvailable?: Threshold;
  nodefsAvailable?: Threshold;
  nodefsInodesFree?: Threshold;
  imagefsAvailable?: Threshold;
  imagefsInodesFree?: Threshold;
  pidAvailable?: Threshold;
}

/**
 * The kubelet's default evictionHard on Linux: memory.available<100Mi,
 * nodefs.available<10%, nodefs.inodesFree<5%, imagefs.available<15%,
 * imagefs.inodesFree<5%. It sets no pid.available threshold, so PIDPressure is only
 * reported where one is configured.
 */
export const DEFAULT_EVICTION_HARD: EvictionThresholds = {
  memoryAvailable: { bytes: 100 * 1024 * 1024 },
  nodefsAvailable: { percent: 10 },
  nodefsInodesFree: { percent: 5 },
  imagefsAvailable: { percent: 15 },
  imagefsInodesFree: { percent: 5 },
};

/** The kubelet's evictionPressureTransitionPeriod default. */
export const PRESSURE_TRANSITION_MS = 5 * 60_000;

export interface NodePressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

export const NO_PRESSURE: NodePressure = Object.freeze({ memory: false, disk: false, pid: false });

function below(available: number, capacity: number, t: Threshold | undefined): boolean {
  if (!t) return false;
  const limit = 'bytes' in t ? t.bytes : (capacity * t.percent) / 100;
  return available < limit;
}

/** Which thresholds one observation crosses, and in words which signals did. */
export function observePressure(r: HostReadings, t: EvictionThresholds = DEFAULT_EVICTION_HARD): NodePressure & { signals: string[] } {
  const signals: string[] = [];
  if (r.memoryAvailableBytes !== undefined && below(r.memoryAvailableBytes, r.memoryCapacityBytes ?? 0, t.memoryAvailable)) signals.push('memory.available');
  const fsSignals = (name: 'nodefs' | 'imagefs', fs: FsReading | undefined, avail?: Threshold, inodes?: Threshold) => {
    if (!fs) return;
    if (below(fs.availableBytes, fs.capacityBytes, avail)) signals.push(`${name}.available`);
    // Filesystems without inode accounting (btrfs, some overlays) report 0 inodes.
    if (fs.inodes > 0 && below(fs.inodesFree, fs.inodes, inodes)) signals.push(`${name}.inodesFree`);
  };
  fsSignals('nodefs', r.nodefs, t.nodefsAvailable, t.nodefsInodesFree);
  fsSignals('imagefs', r.imagefs, t.imagefsAvailable, t.imagefsInodesFree);
  if (r.pids && below(r.pids.max - r.pids.running, r.pids.max, t.pidAvailable)) signals.push('pid.available');
  return {
    memory: signals.includes('memory.available'),
    disk: signals.some((s) => s.startsWith('nodefs.') || s.startsWith('imagefs.')),
    pid: signals.includes('pid.available'),
    signals,
  };
}

function fsReading(path: string): FsReading | undefined {
  try {
    const s = statfsSync(path);
    // bavail, not bfree: what an unprivileged writer can still use, as the kubelet counts it.
    return { capacityBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, inodes: s.files, inodesFree: s.ffree };
  } catch {
    return undefined;
  }
}

/** A field of a /proc/meminfo text (MemAvailable, MemTotal), in bytes. */
export function parseMeminfo(meminfo: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s*kB`, 'm').exec(meminfo);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The number of tasks from /proc/loadavg (`0.00 0.01 0.05 1/234 5678`: 234). */
export function parseTaskCount(loadavg: string): number | undefined {
  const m = /^\S+\s+\S+\s+\S+\s+\d+\/(\d+)/.exec(loadavg);
  return m ? Number(m[1]) : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads the host: memory, the filesystems of `nodefsPath` and `imagefsPath`, and tasks. */
export function readHost(nodefsPath: string, imagefsPath: string = nodefsPath): HostReadings {
  const meminfo = readText('/proc/meminfo');
  const loadavg = readText('/proc/loadavg');
  const running = loadavg ? parseTaskCount(loadavg) : undefined;
  // A task needs a PID, and the kernel caps tasks by threads-max as well.
  const caps = ['/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max'].map((p) => Number(readText(p)?.trim())).filter((n) => Number.isFinite(n) && n > 0);
  return {
    memoryAvailableBytes: meminfo ? parseMeminfo(meminfo, 'MemAvailable') : undefined,
    memoryCapacityBytes: meminfo ? parseMeminfo(meminfo, 'MemTotal') : undefined,
    nodefs: fsReading(nodefsPath),
    imagefs: fsReading(imagefsPath),
    pids: running !== undefined && caps.length ? { running, max: Math.min(...caps) } : undefined,
  };
}

export interface PressureMonitorOptions {
  read: () => HostReadings;
  thresholds?: EvictionThresholds;
  transitionMs?: number;
  now?: () => number;
  /** Told when a condition changes, with the signals that crossed their thresholds. */
  onChange?(pressure: NodePressure, signals: string[]): void;
}

/** Keeps the node's pressure state from periodic observations. */
export class PressureMonitor {
  private lastSeen: Record<keyof NodePressure, number | undefined> = { memory: undefined, disk: undefined, pid: undefined };
  private state: NodePressure = { ...NO_PRESSURE };
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: PressureMonitorOptions) {}

  /** Takes one observation and returns the conditions as they now stand. */
  observe(): NodePressure {
    const now = (this.o.now ?? Date.now)();
    let seen: ReturnType<typeof observePressure>;
    try {
      seen = observePressure(this.o.read(), this.o.thresholds);
    } catch {
      // An unreadable host changes nothing: the previous state holds until the next look.
      return this.current();
    }
    const period = this.o.transitionMs ?? PRESSURE_TRANSITION_MS;
    const next = { ...this.state };
    for (const k of ['memory', 'disk', 'pid'] as const) {
      if (seen[k]) this.lastSeen[k] = now;
      const last = this.lastSeen[k];
      next[k] = last !== undefined && now - last < period;
    }
    const changed = next.memory !== this.state.memory || next.disk !== this.state.disk || next.pid !== this.state.pid;
    this.state = next;
    if (changed) this.o.onChange?.(this.current(), seen.signals);
    return this.current();
  }

  current(): NodePressure {
    return { ...this.state };
  }

  /** Observes now and then every `periodMs` (the kubelet's eviction monitoring period is 10 s). */
  start(periodMs = 10_000): void {
    this.observe();
    this.timer = setInterval(() => this.observe(), periodMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
