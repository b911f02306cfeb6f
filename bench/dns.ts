// Cluster DNS throughput and latency, side by side with dnsmasq: Debian's dnsperf sends
// the same query files to Skiff's DNS (an in-process apiserver with 1,000 Services, 100
// of them headless with 50 endpoints each, and 5,000 pods) and to dnsmasq serving the
// same names from a hosts file, both pinned to the same core. Cluster names and
// forwarded names (to a test upstream on loopback, cached by both) are measured apart.
// Then: how long after a Service's create returns it is resolvable (p50/p99).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { builtinRegistry } from '../src/api/builtin.js';
import { ApiServer } from '../src/apiserver/apiserver.js';
import { Client } from '../src/client/client.js';
import { startClusterDns } from '../src/dns/index.js';
import type { Logger } from '../src/util/log.js';
import { MemoryStore } from '../src/storage/memory.js';
import { ask, freePort, startTestUpstream } from '../test/helpers/dns.js';
import { report, summarize, type Row } from './lib/report.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };
const HOST = '127.0.0.1';
const SECONDS = Number(process.env.DNS_BENCH_SECONDS ?? 8);
// DNS_BENCH_YOUNG_GEN=agent: the young generation held at its initial size, as `skiff agent`
// runs (and with it its node's DNS); by default it grows as in `skiff server`.
const AGENT_YOUNG_GEN = process.env.DNS_BENCH_YOUNG_GEN === 'agent';
if (AGENT_YOUNG_GEN) setFlagsFromString('--semi-space-growth-factor=1');
const SERVICES = 1000;
const HEADLESS = 100;
const PER_HEADLESS = 50;

const missing = ['dnsperf', 'dnsmasq'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
if (missing.length) {
  console.error(`bench dns needs ${missing.join(' and ')} (apt-get install dnsperf dnsmasq)`);
  process.exit(1);
}
const pin = !process.env.DNS_BENCH_NOPIN && spawnSync('sh', ['-c', 'command -v taskset']).status === 0;
if (pin) spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)]);

const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-bench-'));
const upstream = await startTestUpstream({ host: HOST, domain: 'example.test', ttl: 3600 });
writeFileSync(join(dir, 'resolv.conf'), '# bench: the upstream is given by the ConfigMap\n');

// The cluster: an in-process apiserver on a memory store.
const api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: HOST, port: 0 });
await api.cache.start();
await (api as unknown as { bootstrap(): Promise<void> }).bootstrap();
const client = new Client(api.transport());
await client.namespaces.create({ metadata: { name: 'bench' } });
const hosts: string[] = [];
const clusterQueries: string[] = [];
async function inBatches<T>(items: T[], fn: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += 200) await Promise.all(items.slice(i, i + 200).map(fn));
}
const services: Service[] = Array.from({ length: SERVICES }, (_, i) => ({
  metadata: { name: `svc-${i}`, namespace: 'bench' },
  spec: { ...(i < HEADLESS ? { clusterIP: 'None' } : {}), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
}));
await inBatches(services, (s) => client.services.create(s));
const pods: Pod[] = [];
const slices: EndpointSlice[] = [];
for (let h = 0; h < HEADLESS; h++) {
  const endpoints = Array.from({ length: PER_HEADLESS }, (_, j) => {
    const ip = `10.42.${h}.${j + 2}`;
    pods.push({
      metadata: { name: `pod-${h}-${j}`, namespace: 'bench' },
      spec: { containers: [{ name: 'c', image: 'x' }], hostname: `pod-${j}`, subdomain: `svc-${h}` },
    });
    hosts.push(`${ip} pod-${j}.svc-${h}.bench.svc.cluster.local`);
    clusterQueries.push(`pod-${j}.svc-${h}.bench.svc.cluster.local A`);
    return { addresses: [ip], hostname: `pod-${j}`, conditions: { ready: true } };
  });
  slices.push({
    metadata: { name: `svc-${h}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${h}` } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
  });
}
await inBatches(pods, (p) => client.pods.create(p));
await inBatches(slices, (s) => client.endpointSlices.create(s));
for (const s of (await client.services.list({ namespace: 'bench' })).items) {
  if (s.spec?.clusterIP === 'None') continue;
  hosts.push(`${s.spec!.clusterIP} ${s.metadata!.name}.bench.svc.cluster.local`);
  clusterQueries.push(`${s.metadata!.name}.bench.svc.cluster.local A`);
}
const forwardQueries = Array.from({ length: 1000 }, (_, i) => `name-${i}.example.test A`);
writeFileSync(join(dir, 'cluster.txt'), clusterQueries.join('\n') + '\n');
writeFileSync(join(dir, 'forward.txt'), forwardQueries.join('\n') + '\n');
writeFileSync(join(dir, 'hosts'), hosts.join('\n') + '\n', { mode: 0o644 });
await client.configMaps.create({
  metadata: { name: 'skiff-dns', namespace: 'kube-system' },
  data: { upstreamNameservers: JSON.stringify([`${HOST}:${upstream.port}`]) },
});

const skiffPort = await freePort(HOST);
const dns = await startClusterDns({
  client,
  listen: [HOST],
  port: skiffPort,
  metricsPort: 0,
  resolvConf: join(dir, 'resolv.conf'),
  podRecords: 'verified',
  log: quiet,
});
while (!(await ask(HOST, skiffPort, 'name-0.example.test'))?.data.length) await new Promise((r) => setTimeout(r, 50));

const masqPort = await freePort(HOST);
const masq = spawn(
  pin ? 'taskset' : 'dnsmasq',
  [
    ...(pin ? ['-c', '0', 'dnsmasq'] : []),
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    `--port=${masqPort}`,
    `--listen-address=${HOST}`,
    '--bind-interfaces',
    '--no-resolv',
    '--no-hosts',
    `--addn-hosts=${join(dir, 'hosts')}`,
    `--server=${HOST}#${upstream.port}`,
    '--cache-size=10000',
    '--user=root',
    '--pid-file=',
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
let masqErr = '';
masq.stderr!.on('data', (d) => (masqErr += d));
for (let i = 0; i < 100 && !(await ask(HOST, masqPort, 'svc-999.bench.svc.cluster.local'))?.data.length; i++) await new Promise((r) => setTimeout(r, 50));

interface Perf {
  qps: number;
  p50: number;
  p99: number;
  lost: number;
  /** CPU time (user + system) the server spent per answered query, in µs: what the load of other work does not change much. */
  cpuUs: number;
  /** The 1-minute load average when the run started. */
  load: number;
  /** How long the serving thread was ready to run but waited for the core (other processes had it), in ms. */
  waitMs: number;
  /** Skiff's scavenges and other collections during the run: how many, their longest and total pause (ms). */
  gc?: { count: number; maxMs: number; totalMs: number; byKind: Record<string, { count: number; maxMs: number; totalMs: number }> };
}

/** perf_hooks' GC kinds (constants.NODE_PERFORMANCE_GC_*): which collector paused the loop. */
const GC_KIND: Record<number, string> = { 1: 'scavenge', 2: 'minor-mc', 4: 'mark-compact', 8: 'incremental', 16: 'weak-callbacks' };

/** The garbage collector's pauses in this process (Skiff's DNS), as they happen. */
const gcPauses: { kind: string; ms: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const d = (e as unknown as { detail?: { kind?: number; flags?: number } }).detail;
    const kind = GC_KIND[d?.kind ?? 0] ?? `kind-${d?.kind}`;
    gcPauses.push({ kind: d?.flags ? `${kind}(flags ${d.flags})` : kind, ms: e.duration });
  }
}).observe({ entryTypes: ['gc'] });

function gcSummary(): NonNullable<Perf['gc']> {
  const sum = (ps: { ms: number }[]) => ({ count: ps.length, maxMs: Math.max(0, ...ps.map((p) => p.ms)), totalMs: ps.reduce((a, p) => a + p.ms, 0) });
  const byKind: NonNullable<Perf['gc']>['byKind'] = {};
  for (const k of new Set(gcPauses.map((p) => p.kind))) byKind[k] = sum(gcPauses.filter((p) => p.kind === k));
  return { ...sum(gcPauses), byKind };
}

/** Time the main thread of a process spent ready but not running, in ms (/proc/PID/schedstat). */
function runQueueWaitMs(pid = process.pid): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
}

const TICK_US = 1e6 / Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim() || 100);

/** CPU time used so far, in µs: this process (Skiff's DNS) or another one (dnsmasq), from /proc. */
function cpuMicros(pid?: number): number {
  if (pid === undefined) {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/**
 * One bounded dnsperf run; latencies from its per-query lines (-v). Its output goes to a
 * file, not through this process, which is also the server under test.
 */
async function dnsperf(port: number, file: string, serverPid?: number, maxQps?: number): Promise<Perf> {
  const args = ['-s', HOST, '-p', String(port), '-d', file, '-l', String(SECONDS), '-c', '4', '-q', '64', '-t', '2', '-v'];
  if (maxQps) args.push('-Q', String(maxQps));
  const outFile = join(dir, 'dnsperf.out');
  const fd = openSync(outFile, 'w');
  const load = loadavg()[0]!;
  // The previous run's dnsperf output, parsed in this process, leaves megabytes of young
  // survivors that the first scavenges of the next run would copy and promote (10–20 ms
  // pauses at the start of every run in --trace-gc-nvp): the bench's garbage, not the
  // server's. A full collection before the run takes it away (`npm run bench` exposes gc).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    await new Promise((r) => setTimeout(r, 20)); // its own perf entry arrives before the reset below
  }
  const cpu0 = cpuMicros(serverPid);
  const wait0 = runQueueWaitMs(serverPid);
  gcPauses.length = 0;
  // With --trace-gc, these marks place its lines (milliseconds since start) in the runs.
  if (process.env.DNS_BENCH_MARKS) console.log(`mark: run on port ${port}${maxQps ? ` paced ${maxQps}/s` : ''} starts at ${performance.now().toFixed(0)} ms`);
  const child = spawn(pin ? 'taskset' : 'dnsperf', [...(pin ? ['-c', '1', 'dnsperf'] : []), ...args], { stdio: ['ignore', fd, 'ignore'] });
  closeSync(fd);
  const killer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 30) * 1000);
  await new Promise((r) => child.once('close', r));
  clearTimeout(killer);
  const cpu = cpuMicros(serverPid) - cpu0;
  const waitMs = runQueueWaitMs(serverPid) - wait0;
  const gcs = serverPid === undefined ? gcSummary() : undefined;
  const out = readFileSync(outFile, 'utf8');
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const completed = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
  const lat: number[] = [];
  for (const m of out.matchAll(/^> \S+ .* ([\d.]+)$/gm)) lat.push(Number(m[1]) * 1000);
  const s = summarize(lat);
  return { qps, p50: s.p50, p99: s.p99, lost, cpuUs: cpu / completed, load, waitMs, gc: gcs };
}

/** Where a tail may come from: the core taken by others, and collector pauses. */
const pauses = (r: Perf) =>
  `waited for the core ${r.waitMs.toFixed(0)} ms` +
  (r.gc
    ? `, ${r.gc.count} GC pauses (longest ${r.gc.maxMs.toFixed(1)} ms, ${r.gc.totalMs.toFixed(0)} ms in all: ` +
      Object.entries(r.gc.byKind)
        .map(([k, g]) => `${g.count} ${k} ${g.totalMs.toFixed(0)} ms, longest ${g.maxMs.toFixed(1)}`)
        .join('; ') +
      ')'
    : '');

const rows: Row[] = [];
const runs: Record<string, Perf> = {};
for (const [label, port, pid] of [
  ['skiff', skiffPort, undefined],
  ['dnsmasq', masqPort, masq.pid],
] as const)
  for (const kind of ['cluster', 'forward'] as const) {
    await dnsperf(port, join(dir, `${kind}.txt`), pid); // warm-up pass fills caches
    runs[`${label}-${kind}`] = await dnsperf(port, join(dir, `${kind}.txt`), pid);
    const r = runs[`${label}-${kind}`]!;
    console.log(
      `${label} ${kind}: ${r.qps.toFixed(0)} q/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, ${r.cpuUs.toFixed(1)} µs CPU/query, lost ${r.lost}, load ${r.load.toFixed(1)}; ${pauses(r)}`,
    );
  }

// At full speed dnsperf keeps 256 queries outstanding, so its p99 is mostly queueing in front of
// the server; the same queries paced at the target rate show the latency a client sees there.
const PACED_QPS = 30_000;
const paced = await dnsperf(skiffPort, join(dir, 'cluster.txt'), undefined, PACED_QPS);
console.log(
  `skiff cluster paced at ${PACED_QPS}/s: ${paced.qps.toFixed(0)} q/s, p50 ${paced.p50.toFixed(3)} ms, p99 ${paced.p99.toFixed(3)} ms, lost ${paced.lost}; ${pauses(paced)}`,
);

// A new Service resolvable after its create returns.
const delays: number[] = [];
for (let i = 0; i < 200; i++) {
  const svc = await client.services.create({ metadata: { name: `new-${i}`, namespace: 'bench' }, spec: { ports: [{ port: 80 }] } });
  const t0 = performance.now();
  for (let k = 0; k < 2000; k++) {
    const a = await ask(HOST, skiffPort, `new-${i}.bench.svc.cluster.local`, 'A', 200);
    if (a?.data[0] === svc.spec?.clusterIP) break;
  }
  delays.push(performance.now() - t0);
}
const nd = summarize(delays);

const sc = runs['skiff-cluster']!;
const mc = runs['dnsmasq-cluster']!;
const sf = runs['skiff-forward']!;
const mf = runs['dnsmasq-forward']!;
rows.push({ figure: 'cluster_names_skiff', value: sc.qps, unit: 'queries/s', target: '≥ 30000', ok: sc.qps >= 30_000 });
rows.push({ figure: 'cluster_names_dnsmasq', value: mc.qps, unit: 'queries/s' });
rows.push({ figure: 'cluster_names_skiff_vs_dnsmasq', value: sc.qps / mc.qps, unit: 'ratio', target: '≥ 0.5', ok: sc.qps / mc.qps >= 0.5 });
rows.push({ figure: 'cluster_names_skiff_p50', value: sc.p50, unit: 'ms' });
rows.push({ figure: 'cluster_names_skiff_p99', value: sc.p99, unit: 'ms', target: '≤ 2', ok: sc.p99 <= 2 });
rows.push({
  figure: 'cluster_names_skiff_p99_at_30000_qps',
  value: paced.p99,
  unit: 'ms',
  target: '≤ 2',
  ok: paced.p99 <= 2 && paced.qps >= PACED_QPS * 0.98,
  note: `paced with dnsperf -Q; ${paced.qps.toFixed(0)} q/s answered, ${paced.lost} lost`,
});
rows.push({
  figure: 'cluster_names_skiff_paced_core_wait',
  value: paced.waitMs,
  unit: 'ms',
  note: `of ${SECONDS} s: ready to answer, but the core ran other processes`,
});
rows.push({
  figure: 'cluster_names_skiff_paced_gc_pauses',
  value: paced.gc!.count,
  unit: 'count',
  note: `longest ${paced.gc!.maxMs.toFixed(1)} ms, ${paced.gc!.totalMs.toFixed(0)} ms in all`,
});
rows.push({ figure: 'cluster_names_dnsmasq_p50', value: mc.p50, unit: 'ms' });
rows.push({ figure: 'cluster_names_dnsmasq_p99', value: mc.p99, unit: 'ms' });
rows.push({ figure: 'cluster_names_skiff_cpu_per_query', value: sc.cpuUs, unit: 'µs', note: 'user + system, whole process' });
rows.push({ figure: 'cluster_names_dnsmasq_cpu_per_query', value: mc.cpuUs, unit: 'µs' });
rows.push({ figure: 'forwarded_names_skiff', value: sf.qps, unit: 'queries/s', note: 'cached after the first pass' });
rows.push({ figure: 'forwarded_names_dnsmasq', value: mf.qps, unit: 'queries/s' });
rows.push({ figure: 'forwarded_names_skiff_p99', value: sf.p99, unit: 'ms' });
rows.push({ figure: 'forwarded_names_dnsmasq_p99', value: mf.p99, unit: 'ms' });
rows.push({ figure: 'forwarded_names_skiff_cpu_per_query', value: sf.cpuUs, unit: 'µs' });
rows.push({ figure: 'forwarded_names_dnsmasq_cpu_per_query', value: mf.cpuUs, unit: 'µs' });
rows.push({ figure: 'new_service_resolvable_p50', value: nd.p50, unit: 'ms' });
rows.push({ figure: 'new_service_resolvable_p99', value: nd.p99, unit: 'ms', target: '≤ 100', ok: nd.p99 <= 100, note: 'in-process apiserver watch' });
rows.push({ figure: 'skiff_dns_rss', value: process.memoryUsage().rss / 2 ** 20, unit: 'MiB', note: 'whole bench process (apiserver included)' });

masq.kill();
await dns.stop();
await upstream.close();
await api.stop();
rmSync(dir, { recursive: true, force: true });
if (masqErr.trim()) console.log(`dnsmasq said: ${masqErr.trim().slice(0, 500)}`);
report('dns', rows, {
  services: SERVICES,
  pods: pods.length,
  secondsPerRun: SECONDS,
  pinned: pin,
  youngGeneration: AGENT_YOUNG_GEN ? 'held at its initial size (as skiff agent)' : 'grows (as skiff server)',
  lost: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.lost])),
  loadAverage: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.load])),
  coreWaitMs: Object.fromEntries([...Object.entries(runs), ['skiff-cluster-paced', paced] as const].map(([k, v]) => [k, Number(v.waitMs.toFixed(1))])),
});
process.exit(0);
