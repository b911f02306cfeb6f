// Where each pod's start went, span by span: the bench's own times (created, bind seen on
// the watch, Running seen on the watch) joined with the node agent's marks from its
// "pod started" log lines (pod/start-timing.ts), printed as p50/p99 per span, each span
// marked as work (a runtime or API call) or wait (queues, hand-offs, informer lag). "to agent"
// is create request → the agent's informer has the bound pod (apiserver, scheduler, watch).
import { START_PHASES, type StartMark } from '../../src/kubelet/pod/start-timing.js';
import { summarize } from './report.js';

export interface BenchTimes {
  /** Pod name → ms since the epoch. */
  created: Map<string, number>;
  bound: Map<string, number>;
  running: Map<string, number>;
}

type Marks = Partial<Record<StartMark, number>>;

/** name → marks, from the agent's log lines for pods in `namespace`. */
export function agentMarks(logs: string, namespace: string): Map<string, Marks> {
  const out = new Map<string, Marks>();
  for (const line of logs.split('\n')) {
    if (!line.includes('"pod started"')) continue;
    try {
      const rec = JSON.parse(line) as { pod?: string; marks?: Marks };
      const [ns, name] = (rec.pod ?? '').split('/');
      if (ns === namespace && name && rec.marks) out.set(name, rec.marks);
    } catch {
      /* a line cut short: skipped */
    }
  }
  return out;
}

const WAITS = new Set(['to agent', 'sandbox_wait', 'status_wait', 'watch']);

export interface SpanRow {
  span: string;
  kind: 'work' | 'wait' | 'total';
  n: number;
  p50: number;
  p99: number;
}

export function phaseRows(t: BenchTimes, marks: Map<string, Marks>): SpanRow[] {
  const spans: { name: string; of: (n: string, m: Marks) => number | undefined }[] = [
    { name: 'bind seen on watch', of: (n) => diff(t.created.get(n), t.bound.get(n)) },
    { name: 'to agent', of: (n, m) => diff(t.created.get(n), m.seen) },
    ...START_PHASES.map((p) => ({ name: p.name, of: (_n: string, m: Marks) => diff(m[p.from], p.to === 'runningSeen' ? m.runningSeen : m[p.to]) })),
    { name: 'agent seen→Running written', of: (_n, m) => diff(m.seen, m.statusWritten) },
    { name: 'create→Running (watch)', of: (n) => diff(t.created.get(n), t.running.get(n)) },
  ];
  return spans.map((s) => {
    const xs: number[] = [];
    for (const [n, m] of marks) {
      const v = s.of(n, m);
      if (v !== undefined) xs.push(v);
    }
    const sum = summarize(xs);
    const kind = s.name.includes('→') || s.name.includes(' seen on ') ? 'total' : WAITS.has(s.name) ? 'wait' : 'work';
    return { span: s.name, kind, n: sum.n, p50: sum.p50, p99: sum.p99 };
  });
}

function diff(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : b - a;
}

export function printPhases(rows: SpanRow[]): void {
  const w = Math.max(...rows.map((r) => r.span.length));
  console.log(`\n${'span'.padEnd(w)}  kind   pods    p50 ms    p99 ms`);
  for (const r of rows)
    console.log(`${r.span.padEnd(w)}  ${r.kind.padEnd(5)}  ${String(r.n).padStart(4)}  ${r.p50.toFixed(1).padStart(8)}  ${r.p99.toFixed(1).padStart(8)}`);
}
