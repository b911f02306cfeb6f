// CPU and memory from metrics.k8s.io, when the cluster serves it. The metrics API has no
// watch, so it is read every 15 s (its resolution); a short history is kept in the page.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, type KObj } from './api.js';

const HISTORY = 40;
const PERIOD_MS = 15_000;

export interface Usage {
  cpu: number[]; // cores
  memory: number[]; // bytes
}

const history = new Map<string, Usage>();

export function parseCpu(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([num]?)$/.exec(q);
  if (!m) return 0;
  const v = Number(m[1]);
  return m[2] === 'n' ? v / 1e9 : m[2] === 'u' ? v / 1e6 : m[2] === 'm' ? v / 1e3 : v;
}

const UNITS: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12, '': 1 };
export function parseBytes(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([KMGT]i|[kMGT])?$/.exec(q);
  return m ? Number(m[1]) * (UNITS[m[2] ?? ''] ?? 1) : 0;
}

export const fmtCpu = (c: number) => (c < 1 ? `${Math.round(c * 1000)}m` : `${c.toFixed(2)}`);
export const fmtBytes = (b: number) => (b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)}Gi` : `${Math.round(b / 1024 ** 2)}Mi`);

function record(key: string, cpu: number, mem: number): void {
  const h = history.get(key) ?? { cpu: [], memory: [] };
  h.cpu = [...h.cpu, cpu].slice(-HISTORY);
  h.memory = [...h.memory, mem].slice(-HISTORY);
  history.set(key, h);
}

export interface MetricsState {
  available: boolean | undefined;
  usage: Map<string, Usage>;
  reason?: string;
}

/** Node metrics (`kind` nodes) or pod metrics in a namespace (all when ns is empty). */
export function useMetrics(kind: 'nodes' | 'pods', ns?: string): MetricsState {
  const [state, setState] = useState<MetricsState>({ available: undefined, usage: history });
  useEffect(() => {
    let stopped = false;
    const path = `/apis/metrics.k8s.io/v1beta1${kind === 'pods' && ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${kind}`;
    const read = async () => {
      try {
        const list = await call<{ items: (KObj & { usage?: any; containers?: any[] })[] }>(path);
        for (const m of list.items) {
          const key = `${kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
          if (kind === 'nodes') record(key, parseCpu(m.usage?.cpu), parseBytes(m.usage?.memory));
          else {
            const cs = m.containers ?? [];
            record(
              key,
              cs.reduce((a, c) => a + parseCpu(c.usage?.cpu), 0),
              cs.reduce((a, c) => a + parseBytes(c.usage?.memory), 0),
            );
          }
        }
        if (!stopped) setState({ available: true, usage: new Map(history) });
      } catch (err) {
        if (!stopped) setState({ available: false, usage: history, reason: err instanceof ApiError ? `${err.code} ${err.message}` : String(err) });
      }
    };
    void read();
    const t = setInterval(read, PERIOD_MS);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [kind, ns]);
  return state;
}
