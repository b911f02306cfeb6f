// nftables mode sync cost with 1,000 Services × 10 endpoints, programmed into a network
// namespace this benchmark creates and deletes (the host's ruleset is never touched): the
// full sync, a full resync of an already-programmed table, and 200 incremental syncs that
// each change one Service's endpoints (time from sync() called to `nft -f` committed).
// Needs root and nft; says so and exits otherwise.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { NftCommand } from '../src/proxy/nftables/nft-command.js';
import { NftablesMode } from '../src/proxy/nftables/nftables-mode.js';
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../src/proxy/types.js';
import { report, summarize, type Row } from './lib/report.js';

const SERVICES = Number(process.env.PROXY_BENCH_SERVICES ?? 1000);
const ENDPOINTS = 10;
const CHANGES = 200;

if (process.getuid?.() !== 0 || spawnSync('nft', ['--version']).status !== 0) {
  console.log('proxy-nftables: skipped (needs root and nft)');
  process.exit(0);
}

function service(i: number): ServicePortInfo {
  return {
    key: `bench/svc-${i}:http`, namespace: 'bench', name: `svc-${i}`, portName: 'http', protocol: 'TCP',
    clusterIPs: [`10.43.${i >> 8}.${i & 255}`], port: 80, nodePort: 30000 + (i % 2000),
    externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false,
  };
}
const endpoint = (i: number, j: number, gen: number): EndpointInfo =>
  ({ ip: `10.42.${(i * ENDPOINTS + j + gen) % 250}.${(i + j) % 250 + 1}`, port: 8080, ready: true, serving: true, terminating: false, isLocal: false });

/** CPU ms used by finished child processes (and theirs): cutime + cstime of /proc/self/stat. */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10; // fields 16 and 17 of stat(5); 100 ticks/s
}

const NS = `skiff-bench-nft-${process.pid}-${randomBytes(3).toString('hex')}`;
const run = (args: string[]) => {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
};
run(['ip', 'netns', 'add', NS]);
const rows: Row[] = [];
try {
  const mode = new NftablesMode({ nft: new NftCommand({ netns: NS }), clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16', staleChainMs: 0 });
  const services = new Map<string, ServicePortInfo>();
  const endpoints = new Map<string, EndpointInfo[]>();
  for (let i = 0; i < SERVICES; i++) {
    const s = service(i);
    services.set(s.key, s);
    endpoints.set(s.key, Array.from({ length: ENDPOINTS }, (_, j) => endpoint(i, j, 0)));
  }
  const snap = (): ProxySnapshot => ({ nodeName: 'bench', nodeIPs: ['10.250.0.1'], services, endpoints });
  let t = performance.now();
  await mode.sync(snap(), 'all');
  const first = performance.now() - t;
  let cpu0 = childCpuMs();
  t = performance.now();
  await mode.sync(snap(), 'all');
  const resync = performance.now() - t;
  const resyncCpu = childCpuMs() - cpu0;
  cpu0 = childCpuMs();
  const lat: number[] = [];
  for (let c = 0; c < CHANGES; c++) {
    const i = (c * 7919) % SERVICES;
    const key = service(i).key;
    const eps = [...endpoints.get(key)!];
    eps[c % ENDPOINTS] = endpoint(i, c % ENDPOINTS, c + 1);
    endpoints.set(key, eps);
    t = performance.now();
    await mode.sync(snap(), new Set([key]));
    lat.push(performance.now() - t);
  }
  const incCpu = (childCpuMs() - cpu0) / CHANGES;
  const s = summarize(lat);
  rows.push(
    { figure: 'first_full_sync', value: first, unit: 'ms', note: `${SERVICES} services × ${ENDPOINTS} endpoints` },
    { figure: 'full_resync', value: resync, unit: 'ms', target: '≤ 1000', ok: resync <= 1000 },
    { figure: 'full_resync_nft_cpu', value: resyncCpu, unit: 'ms', note: 'CPU time of ip netns exec + nft' },
    { figure: 'incremental_sync_p50', value: s.p50, unit: 'ms' },
    { figure: 'incremental_sync_nft_cpu_avg', value: incCpu, unit: 'ms', note: 'nft reloads its cache of the table on every transaction' },
    { figure: 'incremental_sync_p99', value: s.p99, unit: 'ms', target: '≤ 50', ok: s.p99 <= 50, note: `${CHANGES} EndpointSlice changes, one Service each` },
  );
  await mode.cleanup();
} finally {
  spawnSync('ip', ['netns', 'del', NS]);
}
report('proxy-nftables', rows, { loadavg1m: loadavg()[0], services: SERVICES, endpointsPerService: ENDPOINTS, changes: CHANGES, notes: 'sync() call to nft -f committed, inside a private network namespace; excludes informer/snapshot time' });
