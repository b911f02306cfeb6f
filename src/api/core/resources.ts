// Resource arithmetic in plain numbers: milli-CPU and bytes. Quantities are parsed once
// per distinct string (pods of one controller repeat the same few), so the hot path of
// scheduling never touches BigInt.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from './validate-helpers.js';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Number of pods (only meaningful for allocatable). */
  pods: number;
  /** Extended and hugepages resources, by name. */
  scalar?: Map<string, number>;
}

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0 });

// Kubernetes gives a container without requests these amounts when *scoring*, so that
// request-less pods still spread instead of piling onto one node.
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const parsed = new Map<string, bigint>();
function nano(q: unknown): bigint {
  const key = String(q);
  let v = parsed.get(key);
  if (v === undefined) {
    v = parseQuantity(q) ?? 0n;
    if (parsed.size < 10_000) parsed.set(key, v);
  }
  return v;
}
const NANO = 1_000_000_000n;
const ceilDiv = (a: bigint, b: bigint) => Number(a / b + (a % b > 0n ? 1n : 0n));

/** Milli-units, rounded up as resource.Quantity.MilliValue does. */
export function milliValue(q: unknown): number {
  return ceilDiv(nano(q), 1_000_000n);
}
/** Whole units, rounded up as resource.Quantity.Value does. */
export function value(q: unknown): number {
  return ceilDiv(nano(q), NANO);
}

function addList(into: Resources, list: Record<string, unknown> | undefined, factor = 1): void {
  if (!list) return;
  for (const name in list) {
    const q = list[name];
    switch (name) {
      case 'cpu':
        into.milliCPU += factor * milliValue(q);
        break;
      case 'memory':
        into.memory += factor * value(q);
        break;
      case 'ephemeral-storage':
        into.ephemeralStorage += factor * value(q);
        break;
      case 'pods':
        into.pods += factor * value(q);
        break;
      default: {
        into.scalar ??= new Map();
        into.scalar.set(name, (into.scalar.get(name) ?? 0) + factor * value(q));
      }
    }
  }
}

function maxInto(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
  }
}

export function addResources(into: Resources, r: Resources, factor = 1): void {
  into.milliCPU += factor * r.milliCPU;
  into.memory += factor * r.memory;
  into.ephemeralStorage += factor * r.ephemeralStorage;
  into.pods += factor * r.pods;
  if (r.scalar) {
    into.scalar ??= new Map();
    for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + factor * v);
  }
}

/**
 * What a pod asks of its node, as resourcehelper.PodRequests computes it: the sum over
 * app containers (and restartable init containers, which keep running), at least the
 * largest single init container, plus the pod overhead. `nonZero` applies the scoring defaults.
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const spec = pod.spec;
  const sum = emptyResources();
  for (const c of spec?.containers ?? []) {
    const req = c.resources?.requests as Record<string, unknown> | undefined;
    addList(sum, req);
    if (nonZero) {
      if (req?.cpu === undefined) sum.milliCPU += DEFAULT_MILLI_CPU_REQUEST;
      if (req?.memory === undefined) sum.memory += DEFAULT_MEMORY_REQUEST;
    }
  }
  if (spec?.initContainers?.length) {
    const sidecars = emptyResources();
    for (const c of spec.initContainers) {
      const one = emptyResources();
      addList(one, c.resources?.requests as Record<string, unknown> | undefined);
      if (nonZero) {
        if (c.resources?.requests?.cpu === undefined) one.milliCPU += DEFAULT_MILLI_CPU_REQUEST;
        if (c.resources?.requests?.memory === undefined) one.memory += DEFAULT_MEMORY_REQUEST;
      }
      if (c.restartPolicy === 'Always') {
        addResources(sidecars, one);
        addResources(sum, one);
      } else {
        // A plain init container runs beside the sidecars started before it.
        const peak = emptyResources();
        addResources(peak, sidecars);
        addResources(peak, one);
        maxInto(sum, peak);
      }
    }
  }
  addList(sum, spec?.overhead as Record<string, unknown> | undefined);
  sum.pods = 0;
  return sum;
}

export function nodeAllocatable(node: Node): Resources {
  const r = emptyResources();
  addList(r, (node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
  return r;
}
