// The data-path figure of bench/proxy: requests/s and p99 through a Service's ClusterIP
// against the same backend directly by its pod IP, measured with wrk inside the benchmark's
// own network namespace (the backend is an HTTP server on the namespace's loopback). Bounded:
// each wrk run lasts SECONDS. Two shapes: keep-alive connections (NAT decided once per
// connection) and a new connection per request (the rules walked every time).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Row } from './report.js';

export const POD_IP = '10.42.250.10';
export const BACKEND_PORT = 8080;
export const DATAPATH_SERVICE_IP = '10.43.250.10';
const SECONDS = Number(process.env.PROXY_BENCH_SECONDS ?? 4);
const CONNECTIONS = 16;

const BACKEND = `
const http = require('http');
const s = http.createServer((q, r) => r.end('ok\\n')).listen(${BACKEND_PORT}, '${POD_IP}', () => process.stdout.write('up\\n'));`;

/** The pod IP on the namespace's lo and an HTTP backend on it; stop() removes both. */
export async function startBackend(): Promise<{ stop(): void }> {
  // On the namespace's loopback: this kernel has no dummy links, and a pod IP there is as local.
  spawnSync('ip', ['addr', 'add', `${POD_IP}/32`, 'dev', 'lo']);
  // A node's default route covers the service CIDR; this namespace has none, so a route stands in.
  spawnSync('ip', ['route', 'add', '10.43.0.0/16', 'dev', 'lo']);
  const proc: ChildProcess = spawn(process.execPath, ['-e', BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (c) => reject(new Error(`backend exited ${c}`)));
  });
  return {
    stop: () => {
      proc.kill();
      spawnSync('ip', ['route', 'del', '10.43.0.0/16', 'dev', 'lo']);
      spawnSync('ip', ['addr', 'del', `${POD_IP}/32`, 'dev', 'lo']);
    },
  };
}

interface WrkRun {
  rps: number;
  p99ms: number;
  errors: number;
}

/** Asynchronous: the userspace proxy under test runs in this process's event loop. */
async function wrk(url: string, close: boolean): Promise<WrkRun> {
  const args = ['-t', '2', '-c', String(CONNECTIONS), '-d', `${SECONDS}s`, '--timeout', '2s', '--latency', ...(close ? ['-H', 'Connection: close'] : []), url];
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), (SECONDS + 10) * 1000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
  if (r.status !== 0) throw new Error(`wrk ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { rps, p99ms, errors: non2xx + (errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0) };
}

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

const ROUNDS = 2;

/** The best of ROUNDS runs (on a shared machine the other tenants' load only ever slows a run down). */
function best(runs: WrkRun[]): WrkRun {
  const top = runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  return { ...top, errors: runs.reduce((n, r) => n + r.errors, 0) };
}

/** Direct vs through `serviceURL`, both shapes, runs interleaved; rows named `<mode>_<shape>_…`. */
export async function measureDataPath(mode: string, serviceURL: string, target: number | undefined, rows: Row[]): Promise<void> {
  const direct = `http://${POD_IP}:${BACKEND_PORT}/`;
  for (const [shape, close] of [
    ['keepalive', false],
    ['conn_per_request', true],
  ] as const) {
    await wrk(direct, close); // warm-up, discarded
    const ds: WrkRun[] = [];
    const ss: WrkRun[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      ds.push(await wrk(direct, close));
      ss.push(await wrk(serviceURL, close));
    }
    const d = best(ds);
    const s = best(ss);
    const ratio = s.rps / d.rps;
    rows.push(
      {
        figure: `${mode}_${shape}_direct`,
        value: d.rps,
        unit: 'req/s',
        note: `p99 ${d.p99ms.toFixed(2)} ms; best of ${ROUNDS} × ${SECONDS} s, ${CONNECTIONS} connections`,
      },
      { figure: `${mode}_${shape}_service`, value: s.rps, unit: 'req/s', note: `p99 ${s.p99ms.toFixed(2)} ms` },
      { figure: `${mode}_${shape}_service_p99`, value: s.p99ms, unit: 'ms' },
      {
        figure: `${mode}_${shape}_ratio`,
        value: ratio,
        unit: 'x',
        ...(target !== undefined ? { target: `≥ ${target}`, ok: ratio >= target } : { note: 'measured and reported (no target)' }),
      },
      { figure: `${mode}_${shape}_errors`, value: d.errors + s.errors, unit: 'requests', target: '0', ok: d.errors + s.errors === 0 },
    );
  }
}
