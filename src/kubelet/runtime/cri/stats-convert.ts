// CRI stats messages (as proto-loader presents them: camelCase, uint64/int64 as strings,
// absent messages as null) → the agent's runtime stats types.
import type { RuntimeContainerStats, RuntimeInterfaceStats, RuntimeSandboxStats } from '../types.js';

type Wire = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A UInt64Value: undefined when the runtime left it out (unknown, not zero). */
const u64 = (v: Wire | null | undefined): number | undefined => (v ? Number(v.value ?? 0) : undefined);
const ns = (v: unknown): bigint => BigInt((v as string | undefined) || 0);

function cpu(w: Wire | null | undefined): RuntimeContainerStats['cpu'] {
  return w ? { timestamp: ns(w.timestamp), usageCoreNanoSeconds: u64(w.usageCoreNanoSeconds) } : undefined;
}

function memory(w: Wire | null | undefined): RuntimeContainerStats['memory'] {
  return w ? { timestamp: ns(w.timestamp), workingSetBytes: u64(w.workingSetBytes), usageBytes: u64(w.usageBytes), rssBytes: u64(w.rssBytes) } : undefined;
}

function iface(w: Wire | null | undefined): RuntimeInterfaceStats | undefined {
  return w ? { name: w.name ?? '', rxBytes: u64(w.rxBytes), rxErrors: u64(w.rxErrors), txBytes: u64(w.txBytes), txErrors: u64(w.txErrors) } : undefined;
}

export function containerStatsFromWire(w: Wire): RuntimeContainerStats {
  const a = w.attributes ?? {};
  return {
    id: a.id ?? '',
    name: a.metadata?.name ?? '',
    labels: { ...(a.labels ?? {}) },
    cpu: cpu(w.cpu),
    memory: memory(w.memory),
    writableLayerBytes: u64(w.writableLayer?.usedBytes),
  };
}

export function sandboxStatsFromWire(w: Wire): RuntimeSandboxStats {
  const a = w.attributes ?? {};
  const m = a.metadata ?? {};
  const l = w.linux ?? {};
  const net = l.network;
  return {
    id: a.id ?? '',
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt: m.attempt ?? 0 },
    cpu: cpu(l.cpu),
    memory: memory(l.memory),
    network: net
      ? {
          timestamp: ns(net.timestamp),
          defaultInterface: iface(net.defaultInterface),
          interfaces: ((net.interfaces ?? []) as Wire[]).map((i) => iface(i)!),
        }
      : undefined,
    processCount: u64(l.process?.processCount),
  };
}
