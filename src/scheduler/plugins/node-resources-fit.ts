// NodeResourcesFit: the pod's requests must fit in what the node has left (and one more
// pod in its pod count). Scoring is LeastAllocated by default (spread), MostAllocated
// when configured (pack), over weighted resources.
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import type { Resources } from '../../api/core/resources.js';
import { MAX_NODE_SCORE, Status, type Plugin } from '../types.js';

export interface ResourceWeight {
  name: string;
  weight: number;
}
export interface FitArgs {
  scoringStrategy?: { type?: 'LeastAllocated' | 'MostAllocated'; resources?: ResourceWeight[] };
  ignoredResources?: string[];
}

export const DEFAULT_RESOURCES: ResourceWeight[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

/** The reasons the pod does not fit, in Kubernetes' words; empty when it fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo, ignored?: Set<string>): string[] {
  const out: string[] = [];
  const a = node.allocatable;
  const u = node.requested;
  if (u.pods + 1 > a.pods) out.push('Too many pods');
  const r = pod.requests;
  if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - u.milliCPU) out.push('Insufficient cpu');
  if (r.memory > 0 && r.memory > a.memory - u.memory) out.push('Insufficient memory');
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - u.ephemeralStorage) out.push('Insufficient ephemeral-storage');
  if (r.scalar)
    for (const [name, q] of r.scalar) {
      if (q <= 0 || ignored?.has(name)) continue;
      if (q > (a.scalar?.get(name) ?? 0) - (u.scalar?.get(name) ?? 0)) out.push(`Insufficient ${name}`);
    }
  return out;
}

function amount(r: Resources, name: string): number {
  switch (name) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    case 'pods':
      return r.pods;
    default:
      return r.scalar?.get(name) ?? 0;
  }
}

/** Requested (with the pod, non-zero defaults for cpu/memory) and allocatable of one resource. */
export function requestedAndAllocatable(pod: PodInfo, node: NodeInfo, name: string): [number, number] {
  const nz = name === 'cpu' || name === 'memory';
  const used = amount(nz ? node.nonZeroRequested : node.requested, name) + amount(nz ? pod.nonZeroRequests : pod.requests, name);
  return [used, amount(node.allocatable, name)];
}

export function nodeResourcesFit(args: FitArgs = {}): Plugin {
  const most = args.scoringStrategy?.type === 'MostAllocated';
  const resources = args.scoringStrategy?.resources?.length ? args.scoringStrategy.resources : DEFAULT_RESOURCES;
  const ignored = new Set(args.ignoredResources ?? []);
  const onlyCpuMem = resources.length === 2 && resources[0]!.name === 'cpu' && resources[1]!.name === 'memory';
  const w0 = resources[0]!.weight;
  const w1 = resources[1]?.weight ?? 0;
  const one = (req: number, alloc: number) => {
    if (alloc === 0) return 0;
    if (most) return req > alloc ? MAX_NODE_SCORE : Math.floor((req * MAX_NODE_SCORE) / alloc);
    return req > alloc ? 0 : Math.floor(((alloc - req) * MAX_NODE_SCORE) / alloc);
  };
  return {
    name: 'NodeResourcesFit',
    events: ['NodeAdd', 'NodeUpdate', 'AssignedPodDelete', 'AssignedPodUpdate'],
    filter(_s, pod, node) {
      const reasons = insufficientResources(pod, node, ignored);
      return reasons.length ? new Status(2 /* Unschedulable */, reasons) : undefined;
    },
    score(_s, pod, node) {
      if (onlyCpuMem) {
        // The common case without allocation.
        const a = node.allocatable;
        const cpu = one(node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, a.milliCPU);
        const mem = one(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, a.memory);
        const wsum = (a.milliCPU ? w0 : 0) + (a.memory ? w1 : 0);
        return wsum ? Math.floor((cpu * w0 + mem * w1) / wsum) : 0;
      }
      let sum = 0;
      let wsum = 0;
      for (const { name, weight } of resources) {
        const [req, alloc] = requestedAndAllocatable(pod, node, name);
        if (alloc === 0) continue;
        sum += one(req, alloc) * weight;
        wsum += weight;
      }
      return wsum ? Math.floor(sum / wsum) : 0;
    },
  };
}
