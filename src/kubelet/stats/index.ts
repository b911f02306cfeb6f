// The stats source of one node agent: the runtime's cgroup figures when it measures real
// containers, the pods' simulation annotations when it runs nothing.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRuntime } from '../runtime/types.js';
import { CriStats } from './cri-stats.js';
import { SimulatedStats } from './simulated-stats.js';
import type { StatsProvider } from './summary.js';

export type { StatsProvider, Summary } from './summary.js';
export { resourceMetricsText } from './resource-metrics.js';
export { SimulatedStats } from './simulated-stats.js';

export function nodeStats(o: { nodeName: string; runtime: ContainerRuntime; pods(): Pod[]; fsPath?: string }): StatsProvider {
  if (o.runtime.runsProcesses && o.runtime.listContainerStats) return new CriStats(o);
  return new SimulatedStats(o.nodeName, o.pods);
}
