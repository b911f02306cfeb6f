// GET /metrics/resource: the kubelet's resource metrics in Prometheus text format, written
// from a Summary. Names, help texts, labels and the millisecond sample timestamps follow
// the kubelet (metrics-server reads the timestamps to compute rates between scrapes).
import type { CPUStats, MemoryStats, Summary } from './summary.js';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  lines: string[];
}

const NEEDS_ESCAPE = /[\\\n"]/;
const esc = (v: string) => (NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v);

// A summary repeats a handful of sample times thousands of times: each is parsed once.
const parsedTimes = new Map<string, number>();
function ms(t: string): number {
  let v = parsedTimes.get(t);
  if (v === undefined) {
    if (parsedTimes.size > 10_000) parsedTimes.clear();
    v = Date.parse(t);
    parsedTimes.set(t, v);
  }
  return v;
}

function family(name: string, type: Family['type'], help: string): Family {
  return { name, type, help: `[STABLE] ${help}`, lines: [] };
}

/** `labels` is the written `{k="v",…}` (or ''), made once per pod or container and reused by each of its lines. */
function sample(f: Family, labels: string, value: number, time: string): void {
  f.lines.push(`${f.name}${labels} ${value} ${ms(time)}`);
}

function cpuSeconds(f: Family, labels: string, cpu: CPUStats | undefined): void {
  if (cpu?.usageCoreNanoSeconds !== undefined) sample(f, labels, cpu.usageCoreNanoSeconds / 1e9, cpu.time);
}

function workingSet(f: Family, labels: string, mem: MemoryStats | undefined): void {
  if (mem?.workingSetBytes !== undefined) sample(f, labels, mem.workingSetBytes, mem.time);
}

export function resourceMetricsText(s: Summary): string {
  const cCpu = family('container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the container in core-seconds');
  const cMem = family('container_memory_working_set_bytes', 'gauge', 'Current working set of the container in bytes');
  const cStart = family('container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds');
  const nCpu = family('node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds');
  const nMem = family('node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes');
  const pCpu = family('pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds');
  const pMem = family('pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes');
  const err = family('resource_scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise');
  for (const p of s.pods) {
    const podPart = `namespace="${esc(p.podRef.namespace)}",pod="${esc(p.podRef.name)}"`;
    const pod = `{${podPart}}`;
    for (const c of p.containers) {
      const labels = `{container="${esc(c.name)}",${podPart}}`;
      cpuSeconds(cCpu, labels, c.cpu);
      workingSet(cMem, labels, c.memory);
      const start = ms(c.startTime);
      if (Number.isFinite(start) && c.cpu) sample(cStart, labels, start / 1000, c.cpu.time);
    }
    cpuSeconds(pCpu, pod, p.cpu);
    workingSet(pMem, pod, p.memory);
  }
  cpuSeconds(nCpu, '', s.node.cpu);
  workingSet(nMem, '', s.node.memory);
  err.lines.push(`${err.name} 0`);
  // The kubelet's registry writes families sorted by name.
  const out: string[] = [];
  for (const f of [cCpu, cMem, cStart, nCpu, nMem, pCpu, pMem, err]) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.lines);
  }
  return `${out.join('\n')}\n`;
}
