// The userspace proxy's data path on loopback: requests/s and p99 latency through the
// proxy's loopback listener against the same backend directly, and their ratio. The backend
// (a TCP echo) and the proxy each run in their own child process, the client in this one, so
// the proxy's work is not billed to the client. Two shapes: request/response on persistent
// connections, and one new connection per request (the proxy's accept + connect + splice).
// Bounded: each run stops after REQUESTS requests or SECONDS seconds, whichever comes first.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { report, summarize, type Row } from './lib/report.js';

const REQUESTS = Number(process.env.PROXY_BENCH_REQUESTS ?? 50_000);
const SECONDS = Number(process.env.PROXY_BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.PROXY_BENCH_CONCURRENCY ?? 16);
const PAYLOAD = Buffer.alloc(64, 'x');

const BACKEND = `
const net = require('net');
const s = net.createServer((c) => { c.on('error', () => {}); c.on('data', (d) => c.write(d)); }).listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;

const modeUrl = fileURLToPath(new URL('../src/proxy/userspace/userspace-mode.js', import.meta.url));
const PROXY = (backendPort: number) => `
import { UserspaceMode } from ${JSON.stringify(modeUrl)};
const svc = { key: 'bench/echo:', namespace: 'bench', name: 'echo', portName: '', protocol: 'TCP', clusterIPs: ['10.43.0.99'], port: 80,
  externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false };
const eps = [{ ip: '127.0.0.1', port: ${backendPort}, ready: true, serving: true, terminating: false, isLocal: true }];
const mode = new UserspaceMode();
await mode.sync({ nodeName: 'n', nodeIPs: [], services: new Map([[svc.key, svc]]), endpoints: new Map([[svc.key, eps]]) }, 'all');
process.stdout.write(String(mode.addressOf(svc.key).port) + '\\n');
process.stdin.on('end', () => process.exit(0)).resume();`;

function child(args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (d) => resolve({ proc, port: Number(String(d).trim()) }));
    proc.once('exit', (c) => reject(new Error(`bench child exited ${c}`)));
  });
}

interface Run {
  rps: number;
  p50ms: number;
  p99ms: number;
  n: number;
  errors: number;
}

const TIMEOUT_MS = 5000;

function roundTrip(s: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const fail = (err: Error) => { clearTimeout(timer); s.off('data', on); reject(err); };
    const timer = setTimeout(() => fail(new Error('request timed out')), TIMEOUT_MS);
    const on = (d: Buffer) => {
      got += d.length;
      if (got < PAYLOAD.length) return;
      clearTimeout(timer);
      s.off('data', on);
      s.off('error', fail);
      resolve();
    };
    s.on('data', on);
    s.once('error', fail);
    s.write(PAYLOAD);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true });
    const timer = setTimeout(() => { s.destroy(); reject(new Error('connect timed out')); }, TIMEOUT_MS);
    s.once('connect', () => { clearTimeout(timer); s.removeAllListeners('error'); resolve(s); });
    s.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
}

async function load(port: number, perRequestConnection: boolean): Promise<Run> {
  const lat: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  let issued = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    let s: Socket | undefined;
    while (issued < REQUESTS && performance.now() < deadline) {
      issued++;
      const t = performance.now();
      try {
        if (!s) s = await open(port);
        await roundTrip(s);
        lat.push(performance.now() - t);
      } catch {
        errors++;
        s?.destroy();
        s = undefined;
      }
      if (perRequestConnection) {
        s?.destroy();
        s = undefined;
      }
    }
    s?.destroy();
  }));
  const secs = (performance.now() - t0) / 1000;
  const sum = summarize(lat);
  return { rps: lat.length / secs, p50ms: sum.p50, p99ms: sum.p99, n: lat.length, errors };
}

const backend = await child(['-e', BACKEND]);
const proxy = await child(['--input-type=module', '-e', PROXY(backend.port)]);
const rows: Row[] = [];
try {
  for (const [shape, perConn] of [['keepalive', false], ['connect-per-request', true]] as const) {
    await load(backend.port, perConn); // warm-up, discarded
    const direct = await load(backend.port, perConn);
    const viaProxy = await load(proxy.port, perConn);
    console.log(`${shape}: direct ${direct.rps.toFixed(0)} req/s (${direct.n} ok, ${direct.errors} failed), via userspace proxy ${viaProxy.rps.toFixed(0)} req/s (${viaProxy.n} ok, ${viaProxy.errors} failed)`);
    rows.push(
      { figure: `${shape}_direct`, value: direct.rps, unit: 'req/s' },
      { figure: `${shape}_direct_p99`, value: direct.p99ms, unit: 'ms' },
      { figure: `${shape}_userspace`, value: viaProxy.rps, unit: 'req/s' },
      { figure: `${shape}_userspace_p99`, value: viaProxy.p99ms, unit: 'ms' },
      { figure: `${shape}_userspace_ratio`, value: viaProxy.rps / direct.rps, unit: 'x', note: 'userspace / direct; measured and reported (no target)' },
      { figure: `${shape}_errors`, value: direct.errors + viaProxy.errors, unit: 'requests', target: '0', ok: direct.errors + viaProxy.errors === 0 },
    );
  }
} finally {
  proxy.proc.stdin!.end();
  backend.proc.kill();
}
report('proxy-userspace', rows, { requests: REQUESTS, seconds: SECONDS, concurrency: CONCURRENCY, payloadBytes: PAYLOAD.length, notes: 'loopback only; backend and proxy in their own processes, client in the bench process' });
