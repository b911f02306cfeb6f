// Usage of real pods: each running container's cgroup figures through CRI's
// ListContainerStats (containerd reads cgroup v1 or v2 for us), each pod's network
// counters through ListPodSandboxStats, and the node's from /proc. Which containers count
// comes from the pods bound to this node, as the kubelet matches runtime stats to pods.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime, RuntimeContainerStats, RuntimeSandboxStats } from '../runtime/types.js';
import { RuntimeError } from '../runtime/types.js';
import { fsStats, hostCpu, hostMemory } from './host-usage.js';
import { CpuRates } from './rates.js';
import { sumUsage, type ContainerStats, type NetworkStats, type PodStats, type StatsProvider, type Summary } from './summary.js';

const iso = (ns: bigint | undefined, fallback: string) => (ns ? new Date(Number(ns / 1_000_000n)).toISOString() : fallback);
const runtimeId = (containerID: string | undefined) => containerID?.replace(/^[a-z0-9-]+:\/\//, '');

export interface CriStatsOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  pods(): Pod[];
  /** Where the node's filesystem figures are read (the agent's data dir). */
  fsPath?: string;
  now?: () => number;
}

export class CriStats implements StatsProvider {
  private readonly rates = new CpuRates();
  private readonly started: string;
  /** Set once the runtime said it has no ListPodSandboxStats: not asked again. */
  private noSandboxStats = false;

  constructor(private readonly o: CriStatsOptions) {
    this.started = new Date(Date.now() - process.uptime() * 1000).toISOString();
  }

  private async sandboxStats(): Promise<RuntimeSandboxStats[]> {
    if (this.noSandboxStats || !this.o.runtime.listPodSandboxStats) return [];
    try {
      return await this.o.runtime.listPodSandboxStats();
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'Unimplemented') this.noSandboxStats = true;
      return [];
    }
  }

  async summary(): Promise<Summary> {
    const nowMs = (this.o.now ?? Date.now)();
    const time = new Date(nowMs).toISOString();
    const [containerStats, sandboxStats, nodeCpu, nodeMem, fs] = await Promise.all([
      this.o.runtime.listContainerStats?.() ?? Promise.resolve([] as RuntimeContainerStats[]),
      this.sandboxStats(),
      hostCpu(time),
      hostMemory(time),
      this.o.fsPath ? fsStats(this.o.fsPath, time) : Promise.resolve(undefined),
    ]);
    const byId = new Map(containerStats.map((s) => [s.id, s]));
    const netByUid = new Map<string, NetworkStats>();
    for (const sb of sandboxStats) {
      const n = sb.network;
      if (!n) continue;
      const main = n.defaultInterface ?? n.interfaces[0];
      netByUid.set(sb.metadata.uid, { time: iso(n.timestamp, time), ...(main ?? {}), interfaces: n.interfaces });
    }
    const pods: PodStats[] = [];
    for (const pod of this.o.pods()) {
      const uid = pod.metadata?.uid ?? '';
      const containers: ContainerStats[] = [];
      for (const cs of pod.status?.containerStatuses ?? []) {
        const startedAt = cs.state?.running?.startedAt;
        const s = byId.get(runtimeId(cs.containerID) ?? '');
        if (!startedAt || !s) continue;
        const cpu = s.cpu && {
          time: iso(s.cpu.timestamp, time),
          usageCoreNanoSeconds: s.cpu.usageCoreNanoSeconds,
          usageNanoCores: s.cpu.usageCoreNanoSeconds === undefined ? undefined : this.rates.rate(s.id, s.cpu.usageCoreNanoSeconds, Number(s.cpu.timestamp)),
        };
        const mem = s.memory && {
          time: iso(s.memory.timestamp, time),
          workingSetBytes: s.memory.workingSetBytes,
          usageBytes: s.memory.usageBytes,
          rssBytes: s.memory.rssBytes,
        };
        containers.push({
          name: cs.name,
          startTime: String(startedAt),
          cpu,
          memory: mem,
          ...(s.writableLayerBytes !== undefined ? { rootfs: { time, usedBytes: s.writableLayerBytes } } : {}),
        });
      }
      if (!containers.length) continue;
      const sum = sumUsage(containers, time);
      const net = netByUid.get(uid);
      pods.push({
        podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid },
        startTime: String(pod.status?.startTime ?? containers[0]!.startTime),
        containers,
        cpu: sum.cpu,
        memory: sum.memory,
        ...(net ? { network: net } : {}),
      });
    }
    if (nodeCpu?.usageCoreNanoSeconds !== undefined) nodeCpu.usageNanoCores = this.rates.rate('/', nodeCpu.usageCoreNanoSeconds, nowMs * 1e6);
    this.rates.endRound();
    return {
      node: {
        nodeName: this.o.nodeName,
        startTime: this.started,
        cpu: nodeCpu,
        memory: nodeMem,
        fs,
        ...(fs ? { runtime: { imageFs: fs } } : {}),
      },
      pods,
    };
  }
}
