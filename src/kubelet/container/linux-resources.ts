// A container's cgroup settings as the kubelet derives them from its resources: CPU
// shares from the request, a CFS quota from the limit, the memory limit, and the OOM score
// adjustment that makes the kernel kill BestEffort pods first and Guaranteed ones last.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { computeQOSClass } from '../../api/core/pod-defaults.js';
import { milliValue, value } from '../../api/core/resources.js';
import type { LinuxContainerResources } from '../runtime/types.js';

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const CFS_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1000;
export const GUARANTEED_OOM_SCORE_ADJ = -997;
export const BESTEFFORT_OOM_SCORE_ADJ = 1000;

export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU <= 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * 1024) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** CFS quota for a period; 0 means no quota. */
export function milliCPUToQuota(milliCPU: number, period = CFS_PERIOD_US): number {
  if (milliCPU <= 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milliCPU * period) / 1000));
}

/** The kubelet's GetContainerOOMScoreAdjust; `memoryCapacity` is the node's memory in bytes. */
export function oomScoreAdj(pod: Pod, container: Container, memoryCapacity: number): number {
  if (pod.spec?.priorityClassName === 'system-node-critical') return GUARANTEED_OOM_SCORE_ADJ;
  const qos = pod.status?.qosClass ?? computeQOSClass(pod as never);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;
  const request = value(container.resources?.requests?.memory ?? 0);
  if (memoryCapacity <= 0) return BESTEFFORT_OOM_SCORE_ADJ - 1;
  const adj = 1000 - Math.floor((1000 * request) / memoryCapacity);
  // Burstable containers stay strictly between Guaranteed and BestEffort.
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BESTEFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}

export function linuxResources(pod: Pod, container: Container, memoryCapacity: number): LinuxContainerResources {
  const req = container.resources?.requests as Record<string, unknown> | undefined;
  const lim = container.resources?.limits as Record<string, unknown> | undefined;
  const cpuLimit = lim?.cpu === undefined ? 0 : milliValue(lim.cpu);
  // A limit without a request means request = limit (the apiserver defaults new pods so too).
  const cpuRequest = req?.cpu === undefined ? cpuLimit : milliValue(req.cpu);
  const out: LinuxContainerResources = {
    cpuShares: milliCPUToShares(cpuRequest),
    cpuPeriod: CFS_PERIOD_US,
    cpuQuota: milliCPUToQuota(cpuLimit),
    oomScoreAdj: oomScoreAdj(pod, container, memoryCapacity),
  };
  if (lim?.memory !== undefined) out.memoryLimitInBytes = value(lim.memory);
  return out;
}
