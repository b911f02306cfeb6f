// bench/proxy (iptables mode): 1,000 Services × 10 endpoints programmed inside a network
// namespace this benchmark creates (and deletes, with every rule in it, at the end); nothing
// is sent to any of the addresses. Two measurements:
//  - the mode alone: a full sync into an empty table, a full resync with everything present,
//    and 200 partial syncs that each change one endpoint (time inside iptables-restore included);
//  - end to end: `skiff server` and `skiff agent --proxy-mode iptables` (simulated runtime) in
//    the namespace; 200 EndpointSlice updates, each timed from the write to its new KUBE-SEP
//    chain being in the kernel (polled with `iptables -S <chain>`); the agent's RSS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Client } from '../src/client/client.js';
import { HttpsTransport } from '../src/client/https-transport.js';
import { loadKubeconfig } from '../src/client/kubeconfig.js';
import { endpointChain } from '../src/proxy/iptables/chain-names.js';
import { IptablesMode } from '../src/proxy/iptables/mode.js';
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../src/proxy/types.js';
import type { Logger } from '../src/util/log.js';
import { SKIFF_BIN, startServer } from '../test/helpers/server.js';
import { report, summarize, type Row } from './lib/report.js';

const SERVICES = Number(process.env.PROXY_BENCH_SERVICES ?? 1000);
const ENDPOINTS = 10;
const CHANGES = 200;
const INSIDE = 'SKIFF_PROXY_BENCH_NETNS';
const quiet: Logger = { info() {}, warn() {}, error: (m, f) => console.error(m, f), child: () => quiet };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('error', () => res(-1));
    p.on('close', (code) => res(code ?? -1));
  });
}

const epIP = (svc: number, k: number) => `10.42.${Math.floor(svc / 25)}.${(svc % 25) * ENDPOINTS + k + 1}`;

async function modeAlone(rows: Row[]): Promise<void> {
  const mode = new IptablesMode({ log: quiet, clusterCIDR: '10.42.0.0/16' });
  const services = new Map<string, ServicePortInfo>();
  const endpoints = new Map<string, EndpointInfo[]>();
  for (let i = 0; i < SERVICES; i++) {
    const key = `bench/svc-${i}`;
    services.set(key, {
      key, namespace: 'bench', name: `svc-${i}`, portName: '', protocol: 'TCP', clusterIPs: [`10.43.${i >> 8}.${(i & 255) || 1}`], port: 80,
      externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false,
    });
    endpoints.set(key, Array.from({ length: ENDPOINTS }, (_, k) => ({ ip: epIP(i, k), port: 8080, ready: true, serving: true, terminating: false, isLocal: false })));
  }
  const snap = (): ProxySnapshot => ({ nodeName: 'bench', nodeIPs: ['127.0.0.1'], services: new Map(services), endpoints: new Map(endpoints) });
  let t0 = performance.now();
  await mode.sync(snap(), 'all');
  rows.push({ figure: 'iptables_first_full_sync', value: performance.now() - t0, unit: 'ms', note: `${SERVICES} services × ${ENDPOINTS} endpoints into empty tables` });
  t0 = performance.now();
  await mode.sync(snap(), 'all');
  const full = performance.now() - t0;
  rows.push({ figure: 'iptables_full_resync', value: full, unit: 'ms', target: '≤ 1000', ok: full <= 1000 });
  const partial: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = (c * 7) % SERVICES;
    const key = `bench/svc-${i}`;
    const eps = [...endpoints.get(key)!];
    eps[c % ENDPOINTS] = { ...eps[c % ENDPOINTS]!, ip: `10.44.${c >> 8}.${(c & 255) || 1}` };
    endpoints.set(key, eps);
    t0 = performance.now();
    await mode.sync(snap(), new Set([key]));
    partial.push(performance.now() - t0);
  }
  const s = summarize(partial);
  rows.push({ figure: 'iptables_partial_sync_p50', value: s.p50, unit: 'ms', note: 'one service changed; iptables-restore included' });
  rows.push({ figure: 'iptables_partial_sync_p99', value: s.p99, unit: 'ms' });
  await mode.cleanup();
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function endToEnd(rows: Row[]): Promise<void> {
  const s = await startServer({ timeoutMs: 60_000 });
  const agentDir = mkdtempSync(join(tmpdir(), 'skiff-bench-proxy-'));
  let agent: ChildProcess | undefined;
  const client = new Client(new HttpsTransport({ ...loadKubeconfig(s.kubeconfig).options }));
  try {
    const token = readFileSync(join(s.dataDir, 'token'), 'utf8').trim();
    let log = '';
    agent = spawn(process.execPath, [
      SKIFF_BIN, 'agent', '--server', s.url, '--token', token, '--data-dir', agentDir, '--node-name', 'bench-proxy', '--node-ip', '127.0.0.1',
      '--runtime', 'simulated', '--proxy-mode', 'iptables', '--pod-network', 'none', '--kubelet-port', '0', '--cluster-cidr', '10.42.0.0/16',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d) => (log += d));
    agent.stderr!.on('data', (d) => (log = (log + d).slice(-20_000)));
    for (let i = 0; i < 600 && !/skiff agent ready/.test(log); i++) await sleep(100);
    if (!/skiff agent ready/.test(log)) throw new Error(`skiff agent did not start:\n${log}`);
    await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const slices: EndpointSlice[] = [];
    const t0 = Date.now();
    for (let base = 0; base < SERVICES; base += 25) {
      await Promise.all(Array.from({ length: Math.min(25, SERVICES - base) }, async (_, j) => {
        const i = base + j;
        const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } };
        await client.services.create(svc);
        slices[i] = await client.endpointSlices.create({
          apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
          metadata: { name: `svc-${i}-a`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
          ports: [{ name: '', port: 8080, protocol: 'TCP' }],
          endpoints: Array.from({ length: ENDPOINTS }, (_, k) => ({ addresses: [epIP(i, k)], conditions: { ready: true } })),
        });
      }));
    }
    const created = Date.now() - t0;
    const last = endpointChain(`bench/svc-${SERVICES - 1}`, 'tcp', `${epIP(SERVICES - 1, ENDPOINTS - 1)}:8080`);
    for (let i = 0; i < 600 && (await run('iptables', ['-w', '-t', 'nat', '-S', last])) !== 0; i++) await sleep(100);
    const programmed = Date.now() - t0;
    rows.push({ figure: 'iptables_create_and_program_all', value: programmed / 1000, unit: 's', note: `${SERVICES} Services + EndpointSlices written in ${(created / 1000).toFixed(1)} s` });
    await sleep(2000);
    const rss = rssMiB(agent.pid!);

    // The cost of one poll, to read the latencies against.
    const p0 = performance.now();
    for (let i = 0; i < 10; i++) await run('iptables', ['-w', '-t', 'nat', '-S', last]);
    const pollMs = (performance.now() - p0) / 10;

    const latencies: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = (c * 7) % SERVICES;
      const slice = slices[i]!;
      const ip = `10.44.${c >> 8}.${(c & 255) || 1}`;
      const endpoints = [...slice.endpoints!];
      endpoints[c % ENDPOINTS] = { addresses: [ip], conditions: { ready: true } };
      const chain = endpointChain(`bench/svc-${i}`, 'tcp', `${ip}:8080`);
      const start = performance.now();
      slices[i] = await client.endpointSlices.update({ ...slice, endpoints });
      let seen = false;
      for (let k = 0; k < 2000 && !seen; k++) seen = (await run('iptables', ['-w', '-t', 'nat', '-S', chain])) === 0;
      latencies.push(seen ? performance.now() - start : NaN);
      await sleep(20);
    }
    const l = summarize(latencies.filter(Number.isFinite));
    rows.push({ figure: 'iptables_slice_to_kernel_p50', value: l.p50, unit: 'ms', note: `${l.n} changes; write → KUBE-SEP chain present` });
    rows.push({ figure: 'iptables_slice_to_kernel_p99', value: l.p99, unit: 'ms', target: '≤ 50', ok: l.p99 <= 50, note: `includes one poll of ~${pollMs.toFixed(0)} ms` });
    rows.push({ figure: 'iptables_poll_cost', value: pollMs, unit: 'ms', note: 'iptables -S <chain> with everything programmed' });
    rows.push({ figure: 'iptables_agent_rss', value: rss, unit: 'MiB', note: `skiff agent (simulated runtime) with ${SERVICES} Services programmed` });
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

async function inside(): Promise<void> {
  const rows: Row[] = [];
  await modeAlone(rows);
  await endToEnd(rows);
  report('proxy', rows, { services: SERVICES, endpointsPerService: ENDPOINTS, changes: CHANGES, modes: ['iptables'] });
}

async function outside(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/proxy needs root (it programs iptables inside a network namespace it creates)');
  for (const bin of ['iptables-restore', 'nsenter', 'ip']) if (spawnSync('which', [bin]).status !== 0) throw new Error(`bench/proxy needs ${bin}`);
  const ns = `skpb${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`cannot create network namespace ${ns}`);
  try {
    spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, process.execPath, '--expose-gc', new URL(import.meta.url).pathname, ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, [INSIDE]: ns },
    });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  } finally {
    // Deleting the namespace deletes every rule programmed in it.
    spawnSync('ip', ['netns', 'del', ns]);
  }
}

await (process.env[INSIDE] ? inside() : outside());
