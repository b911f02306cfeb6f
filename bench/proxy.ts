// bench/proxy: the service proxy in each mode (PROXY_BENCH_MODES, default all four:
// iptables-nft, iptables-legacy, nftables, userspace), each in a network namespace of its own
// that this benchmark creates and deletes with every rule in it. Per mode:
//  - sync cost of the mode alone with 1,000 Services × 10 endpoints: a full sync into empty
//    tables, a full resync with everything present, 200 partial syncs changing one endpoint,
//    and the floor under a partial sync: what one kernel write costs (bench/lib/proxy-floors.ts);
//  - the data path (bench/lib/proxy-datapath.ts): wrk through a ClusterIP vs the backend's pod
//    IP, with the 1,000 Services still programmed; the ratio's target is ≥ 0.95 (not for userspace);
//  - end to end (not userspace): `skiff server` + `skiff agent --proxy-mode …` (simulated
//    runtime) in the namespace; 200 EndpointSlice updates, each timed from the write to its
//    new endpoint chain being in the kernel; the agent's RSS.
// PROXY_BENCH_DATAPATH=0 and PROXY_BENCH_E2E=0 leave out the data path and the end-to-end part.
// Nothing is sent anywhere but the namespace's own loopback.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Client } from '../src/client/client.js';
import { HttpsTransport } from '../src/client/https-transport.js';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { backendBinaries, type IptablesBackend } from '../src/proxy/iptables/backend.js';
import { endpointChain } from '../src/proxy/iptables/chain-names.js';
import { iptablesHostIn } from '../src/proxy/iptables/exec.js';
import { IptablesMode } from '../src/proxy/iptables/mode.js';
import { endpointChainName } from '../src/proxy/nftables/names.js';
import { NftablesMode } from '../src/proxy/nftables/nftables-mode.js';
import type { ProxyMode } from '../src/proxy/types.js';
import { NftRedirector } from '../src/proxy/userspace/redirector.js';
import { UserspaceMode } from '../src/proxy/userspace/userspace-mode.js';
import type { Logger } from '../src/util/log.js';
import { SKIFF_BIN, startServer } from '../test/helpers/server.js';
import { DATAPATH_SERVICE_IP, measureDataPath, startBackend, wrkAvailable } from './lib/proxy-datapath.js';
import { iptablesFloors, nftFloors } from './lib/proxy-floors.js';
import { BenchSnapshot, changedIP, endpoint, ENDPOINTS, epIP, SERVICES, servicePort } from './lib/proxy-fixture.js';
import { report, summarize, type Row } from './lib/report.js';

const MODES = ['iptables-nft', 'iptables-legacy', 'nftables', 'userspace'] as const;
type BenchMode = (typeof MODES)[number];
const CHANGES = 200;
const INSIDE = 'SKIFF_PROXY_BENCH_MODE';
const quiet: Logger = { info() {}, warn() {}, error: (m, f) => console.error(m, f), child: () => quiet };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backendOf = (m: BenchMode): IptablesBackend => (m === 'iptables-legacy' ? 'legacy' : 'nft');
/** Figure names use the mode with `_` (iptables_nft_full_resync…). */
const fig = (m: BenchMode, what: string) => `${m.replace('-', '_')}_${what}`;

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('error', () => res(-1));
    p.on('close', (code) => res(code ?? -1));
  });
}

function makeMode(m: BenchMode): ProxyMode {
  if (m === 'nftables') return new NftablesMode({ log: quiet, clusterCIDR: '10.42.0.0/16' });
  if (m === 'userspace') return new UserspaceMode({ log: quiet, redirector: new NftRedirector({ routeLocalnet: true }) });
  return new IptablesMode({ log: quiet, clusterCIDR: '10.42.0.0/16', host: iptablesHostIn(undefined, backendOf(m)) });
}

async function modeAlone(m: BenchMode, rows: Row[]): Promise<void> {
  const mode = makeMode(m);
  const state = new BenchSnapshot();
  let t0 = performance.now();
  await mode.sync(state.snapshot(), 'all');
  rows.push({
    figure: fig(m, 'first_full_sync'),
    value: performance.now() - t0,
    unit: 'ms',
    note: `${SERVICES} services × ${ENDPOINTS} endpoints into empty tables`,
  });
  t0 = performance.now();
  await mode.sync(state.snapshot(), 'all');
  const full = performance.now() - t0;
  rows.push({ figure: fig(m, 'full_resync'), value: full, unit: 'ms', target: '≤ 1000', ok: full <= 1000 });
  const partial: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const key = state.change(c);
    t0 = performance.now();
    await mode.sync(state.snapshot(), new Set([key]));
    partial.push(performance.now() - t0);
  }
  const s = summarize(partial);
  if (m === 'nftables') await nftFloors(fig(m, '').slice(0, -1), rows);
  else if (m !== 'userspace') await iptablesFloors(fig(m, '').slice(0, -1), backendBinaries(backendOf(m)).restore, rows);
  rows.push({ figure: fig(m, 'partial_sync_p50'), value: s.p50, unit: 'ms', note: 'one endpoint of one service changed; the kernel write included' });
  rows.push({ figure: fig(m, 'partial_sync_p99'), value: s.p99, unit: 'ms', target: '≤ 50', ok: s.p99 <= 50 });
  if (process.env.PROXY_BENCH_DATAPATH === '0') console.log('data path: skipped (PROXY_BENCH_DATAPATH=0)');
  else if (wrkAvailable()) {
    const backend = await startBackend();
    try {
      await measureDataPath(m.replace('-', '_'), `http://${DATAPATH_SERVICE_IP}:80/`, m === 'userspace' ? undefined : 0.95, rows);
    } finally {
      backend.stop();
    }
  } else console.log('data path: skipped (wrk is not installed)');
  await mode.cleanup();
  await mode.stop();
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The command that exits 0 once the endpoint chain for (service i, ip) is in the kernel. */
function probe(m: BenchMode, i: number, ip: string): [string, string[]] {
  if (m === 'nftables') return ['nft', ['list', 'chain', 'ip', 'skiff', endpointChainName(servicePort(i), endpoint(ip))]];
  return [backendBinaries(backendOf(m)).iptables, ['-w', '-t', 'nat', '-S', endpointChain(`bench/svc-${i}`, 'tcp', `${ip}:8080`)]];
}

async function endToEnd(m: BenchMode, rows: Row[]): Promise<void> {
  const s = await startServer({ timeoutMs: 60_000 });
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-bench-proxy-'));
  let agent: ChildProcess | undefined;
  const client = new Client(new HttpsTransport({ ...loadKubeconfig(s.kubeconfig).options }));
  try {
    const token = readFileSync(join(s.dataDir, 'token'), 'utf8').trim();
    let log = '';
    const modeFlags = m === 'nftables' ? ['--proxy-mode', 'nftables'] : ['--proxy-mode', 'iptables', '--iptables-backend', backendOf(m)];
    agent = spawn(
      process.execPath,
      [
        SKIFF_BIN,
        'agent',
        '--server',
        s.url,
        '--token',
        token,
        '--data-dir',
        agentDir,
        '--node-name',
        'bench-proxy',
        '--node-ip',
        '127.0.0.1',
        '--runtime',
        'simulated',
        ...modeFlags,
        '--pod-network',
        'none',
        '--kubelet-port',
        '0',
        '--cluster-cidr',
        '10.42.0.0/16',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d) => (log = (log + d).slice(-20_000)));
    agent.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
    for (let i = 0; i < 600 && !/skiff agent ready/.test(log); i++) await sleep(100);
    if (!/skiff agent ready/.test(log)) throw new Error(`skiff agent did not start:\n${log}`);
    await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const slices: EndpointSlice[] = [];
    const t0 = Date.now();
    for (let base = 0; base < SERVICES; base += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, SERVICES - base) }, async (_, j) => {
          const i = base + j;
          await client.services.create({
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: `svc-${i}`, namespace: 'bench' },
            spec: { ports: [{ port: 80, targetPort: 8080 }] },
          });
          slices[i] = await client.endpointSlices.create({
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            addressType: 'IPv4',
            metadata: { name: `svc-${i}-a`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
            ports: [{ name: '', port: 8080, protocol: 'TCP' }],
            endpoints: Array.from({ length: ENDPOINTS }, (_, k) => ({ addresses: [epIP(i, k)], conditions: { ready: true } })),
          });
        }),
      );
    }
    const created = Date.now() - t0;
    const [lastCmd, lastArgs] = probe(m, SERVICES - 1, epIP(SERVICES - 1, ENDPOINTS - 1));
    for (let i = 0; i < 600 && (await run(lastCmd, lastArgs)) !== 0; i++) await sleep(100);
    rows.push({
      figure: fig(m, 'create_and_program_all'),
      value: (Date.now() - t0) / 1000,
      unit: 's',
      note: `${SERVICES} Services + EndpointSlices written in ${(created / 1000).toFixed(1)} s`,
    });
    await sleep(2000);
    const rss = rssMiB(agent.pid!);
    const p0 = performance.now();
    for (let i = 0; i < 10; i++) await run(lastCmd, lastArgs);
    const pollMs = (performance.now() - p0) / 10;

    const latencies: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = (c * 7) % SERVICES;
      const slice = slices[i]!;
      const endpoints = [...slice.endpoints!];
      endpoints[c % ENDPOINTS] = { addresses: [changedIP(c)], conditions: { ready: true } };
      const [cmd, args] = probe(m, i, changedIP(c));
      const start = performance.now();
      slices[i] = await client.endpointSlices.update({ ...slice, endpoints });
      let seen = false;
      for (let k = 0; k < 2000 && !seen; k++) seen = (await run(cmd, args)) === 0;
      latencies.push(seen ? performance.now() - start : NaN);
      await sleep(20);
    }
    const l = summarize(latencies.filter(Number.isFinite));
    rows.push({ figure: fig(m, 'slice_to_kernel_p50'), value: l.p50, unit: 'ms', note: `${l.n} changes; write → endpoint chain present` });
    rows.push({
      figure: fig(m, 'slice_to_kernel_p99'),
      value: l.p99,
      unit: 'ms',
      target: '≤ 50',
      ok: l.p99 <= 50,
      note: `includes polls of ~${pollMs.toFixed(0)} ms`,
    });
    rows.push({ figure: fig(m, 'poll_cost'), value: pollMs, unit: 'ms', note: `${lastCmd} ${lastArgs.slice(0, 3).join(' ')} … with everything programmed` });
    rows.push({ figure: fig(m, 'agent_rss'), value: rss, unit: 'MiB', note: `skiff agent (simulated runtime) with ${SERVICES} Services programmed` });
  } finally {
    client.close();
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    await s.stop();
    rmSync(agentDir, { recursive: true, force: true });
  }
}

/** One mode, inside its namespace: rows as JSON on the last stdout line. */
async function inside(m: BenchMode): Promise<void> {
  const rows: Row[] = [];
  await modeAlone(m, rows);
  if (m !== 'userspace' && process.env.PROXY_BENCH_E2E !== '0') await endToEnd(m, rows);
  console.log(`ROWS ${JSON.stringify(rows)}`);
}

function outside(): void {
  if (process.getuid?.() !== 0) throw new Error('bench/proxy needs root (it programs rules inside network namespaces it creates)');
  const modes = (process.env.PROXY_BENCH_MODES ?? MODES.join(',')).split(',') as BenchMode[];
  for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode ${m} in PROXY_BENCH_MODES (known: ${MODES.join(', ')})`);
  const rows: Row[] = [];
  const load = [loadavg()[0]!];
  for (const m of modes) {
    const need = m === 'nftables' || m === 'userspace' ? 'nft' : `${backendBinaries(backendOf(m)).restore}`;
    if (spawnSync('which', [need]).status !== 0) {
      console.log(`${m}: skipped (${need} is not installed)`);
      continue;
    }
    const ns = `skpb${process.pid}${m.replace(/[^a-z]/g, '')}`;
    if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`cannot create network namespace ${ns}`);
    try {
      spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      console.log(`${m}: running in network namespace ${ns}`);
      const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, process.execPath, new URL(import.meta.url).pathname], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
        env: { ...process.env, [INSIDE]: m },
        maxBuffer: 64 << 20,
      });
      const line = r.stdout.split('\n').find((l) => l.startsWith('ROWS '));
      if (r.status !== 0 || !line) {
        process.stdout.write(r.stdout);
        throw new Error(`bench/proxy ${m} failed (exit ${r.status})`);
      }
      rows.push(...(JSON.parse(line.slice(5)) as Row[]));
      load.push(loadavg()[0]!);
    } finally {
      // Deleting the namespace deletes every rule programmed in it.
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }
  report('proxy', rows, {
    loadavg1m: { min: Math.min(...load), max: Math.max(...load) },
    services: SERVICES,
    endpointsPerService: ENDPOINTS,
    changes: CHANGES,
    modes,
  });
}

if (process.env[INSIDE]) await inside(process.env[INSIDE] as BenchMode);
else outside();
