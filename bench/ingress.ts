// The ingress data path beside nginx and caddy: wrk drives the same two HTTP backends through
// each proxy on loopback, plain HTTP keep-alive and TLS (HTTP/1.1), and reports requests/s
// and p99. Skiff's ingress runs its real listeners, route table and endpoint picker in a child
// process (the control plane is left out: routes come from an Ingress object, endpoints from
// EndpointSlice objects). Each proxy gets one core's worth of workers (skiff is one Node
// thread; nginx worker_processes 1; caddy GOMAXPROCS=1). Then skiff alone under the same load
// while its routes and endpoints change CHURN_RATE times a second (each change rebuilds the
// route table from another Ingress and swaps the EndpointSlices, as the informers would):
// target zero failed requests. Bounded: SECONDS per run. The proxies take turns for ROUNDS
// rounds (the median of each figure counts), so load from other work on the machine falls on
// all of them alike; CPU per request (the proxy's processes, from /proc) is reported beside.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedServingCert } from '../src/util/x509-jobs.js';
import { cpuSeconds } from './lib/proc-cpu.js';
import { report, type Row } from './lib/report.js';

const SECONDS = Number(process.env.INGRESS_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.INGRESS_BENCH_CONNECTIONS ?? 32);
const CHURN_RATE = Number(process.env.INGRESS_BENCH_CHURN_RATE ?? 100);
const ROUNDS = Number(process.env.INGRESS_BENCH_ROUNDS ?? 3);
// A name that resolves to loopback, so wrk sends it as SNI (it takes SNI from the URL's host).
const HOST = 'localhost';

const BACKEND = `
const http = require('http');
const body = Buffer.alloc(128, 'x');
const s = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end(body); });
s.keepAliveTimeout = 120000;
s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;

const src = (p: string) => JSON.stringify(fileURLToPath(new URL(`../src/ingress/${p}`, import.meta.url)));
const SKIFF = (ports: number[], cert: string, key: string) => `
import { RouteTable } from ${src('route-table.js')};
import { EndpointPicker } from ${src('endpoints.js')};
import { CertStore } from ${src('certs.js')};
import { DEFAULT_TIMEOUTS } from ${src('forward.js')};
import { openHttp, openHttps, DEFAULT_LIMITS } from ${src('listeners.js')};
import { UpstreamPool } from ${src('upstream-client.js')};
// Version n of the Ingress: even ones send / to Service s, odd ones to s2 and add an Exact path.
const ingress = (n) => ({ metadata: { name: 'b', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z', resourceVersion: String(n) },
  spec: { tls: [{ hosts: ['${HOST}'], secretName: 'tls' }], rules: [{ host: '${HOST}', http: { paths: [
    { path: '/', pathType: 'Prefix', backend: { service: { name: n % 2 ? 's2' : 's', port: { number: 80 } } } },
    ...(n % 2 ? [{ path: '/v' + n, pathType: 'Exact', backend: { service: { name: 's', port: { number: 80 } } } }] : []),
  ] } }] } });
let table = RouteTable.build([ingress(0)]);
const services = Object.fromEntries(['s', 's2'].map((name) => [name, { metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } }]));
const ports = ${JSON.stringify(ports)};
const sliceOf = (port, i) => ({ metadata: { name: 'e' + i }, addressType: 'IPv4', ports: [{ port, protocol: 'TCP' }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }] });
// Endpoint sets in turn: both backends, the first, the second.
const sets = [ports, ports.slice(0, 1), ports.slice(1)].map((ps) => ps.map(sliceOf));
const slices = { s: sets[0], s2: sets[0] };
const picker = new EndpointPicker({ service: (_ns, name) => services[name], slices: (_ns, svc) => slices[svc] ?? [] });
const secret = { metadata: { resourceVersion: '1' }, type: 'kubernetes.io/tls', data: { 'tls.crt': ${JSON.stringify(Buffer.from(cert).toString('base64'))}, 'tls.key': ${JSON.stringify(Buffer.from(key).toString('base64'))} } };
const certs = new CertStore({ cert: ${JSON.stringify(cert)}, key: ${JSON.stringify(key)} }, () => secret);
certs.update(table.tlsSecrets);
const ctx = { table: () => table, picker, upstreams: new UpstreamPool(), timeouts: DEFAULT_TIMEOUTS, httpsPort: undefined };
const h = await openHttp(ctx, '127.0.0.1', 0, DEFAULT_LIMITS);
const s = await openHttps(ctx, certs, '127.0.0.1', 0, DEFAULT_LIMITS);
process.stdout.write(h.port + ' ' + s.port + '\\n');
// "churn <rate>" starts changes at that rate (a late timer catches up, so the count keeps to
// the rate); "stop" ends them and prints how many were made over how many seconds.
let churn;
let changes = 0;
const change = () => {
  changes++;
  table = RouteTable.build([ingress(changes)]);
  certs.update(table.tlsSecrets);
  slices.s = sets[changes % 3];
  slices.s2 = sets[(changes + 1) % 3];
};
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  for (const line of d.split('\\n')) {
    const [cmd, arg] = line.trim().split(' ');
    if (cmd === 'churn') {
      const start = Date.now();
      changes = 0;
      churn = setInterval(() => { const due = Math.floor(((Date.now() - start) * Number(arg)) / 1000); while (changes < due) change(); }, 5);
      churn.started = start;
    } else if (cmd === 'stop') {
      clearInterval(churn);
      process.stdout.write(JSON.stringify({ changes, seconds: (Date.now() - churn.started) / 1000 }) + '\\n');
    }
  }
});
process.stdin.on('end', () => process.exit(0));`;

function child(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ proc: ChildProcess; out: string }> {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], env });
  return new Promise((resolve, reject) => {
    proc.stdout!.once('data', (d) => resolve({ proc, out: String(d).trim() }));
    proc.once('exit', (c) => reject(new Error(`${cmd} exited ${c}`)));
  });
}

function started(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface WrkResult {
  rps: number;
  p99ms: number;
  errors: number;
  requests: number;
  /** CPU the proxy's processes used per request, in microseconds (when its pid is given). */
  cpuUsPerRequest?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Each figure's median over the rounds; errors summed. */
function combine(runs: WrkResult[]): WrkResult & { rounds: WrkResult[] } {
  return {
    rps: median(runs.map((r) => r.rps)),
    p99ms: median(runs.map((r) => r.p99ms)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest ?? NaN)),
    rounds: runs,
  };
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(url: string, pid?: number): WrkResult {
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-H', `Host: ${HOST}`, url], {
    encoding: 'utf8',
    timeout: (SECONDS + 30) * 1000,
  });
  const out = r.stdout ?? '';
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  if (!Number.isFinite(rps)) throw new Error(`wrk gave no figures for ${url}:\n${out}\n${r.stderr}`);
  const cpuUsPerRequest = pid && requests > 0 ? ((cpuSeconds(pid) - cpu0) * 1e6) / requests : undefined;
  return { rps, p99ms: p99, errors, requests, cpuUsPerRequest };
}

async function waitListening(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-ingress-'));
const procs: ChildProcess[] = [];
const rows: Row[] = [];
const results: Record<string, { http: WrkResult; https: WrkResult }> = {};
try {
  const { cert, key } = await selfSignedServingCert(HOST, { hostnames: [HOST] });
  writeFileSync(join(dir, 'tls.crt'), cert);
  writeFileSync(join(dir, 'tls.key'), key);
  const backends = await Promise.all([0, 1].map(() => child(process.execPath, ['-e', BACKEND])));
  procs.push(...backends.map((b) => b.proc));
  const ports = backends.map((b) => Number(b.out));

  const proxies: Record<string, { http: number; https: number; pid: number }> = {};
  const skiff = await child(process.execPath, ['--input-type=module', '-e', SKIFF(ports, cert, key)]);
  procs.push(skiff.proc);
  const [sh, ss] = skiff.out.split(' ').map(Number);
  proxies.skiff = { http: sh!, https: ss!, pid: skiff.proc.pid! };

  if (spawnSync('nginx', ['-v']).status === 0) {
    const [h, s] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'nginx.conf'),
      `
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/nb; proxy_temp_path ${dir}/np; fastcgi_temp_path ${dir}/nf; uwsgi_temp_path ${dir}/nu; scgi_temp_path ${dir}/ns;
  upstream b { ${ports.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 64; }
  server {
    listen 127.0.0.1:${h}; listen 127.0.0.1:${s} ssl; server_name ${HOST};
    ssl_certificate ${dir}/tls.crt; ssl_certificate_key ${dir}/tls.key;
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; }
  }
}`,
    );
    const nginx = started('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir]);
    procs.push(nginx);
    await waitListening(h);
    proxies.nginx = { http: h, https: s, pid: nginx.pid! };
  } else console.log('nginx: not installed, left out');

  if (spawnSync('caddy', ['version']).status === 0) {
    const [h, s] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'Caddyfile'),
      `{
  admin off
  auto_https off
  http_port ${h}
  https_port ${s}
  storage file_system ${dir}/caddy
  default_sni ${HOST}
}
http://${HOST}:${h} {
  bind 127.0.0.1
  reverse_proxy ${ports.map((p) => `127.0.0.1:${p}`).join(' ')}
}
https://${HOST}:${s} {
  bind 127.0.0.1
  tls ${dir}/tls.crt ${dir}/tls.key
  reverse_proxy ${ports.map((p) => `127.0.0.1:${p}`).join(' ')}
}
`,
    );
    const caddy = started('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      ...process.env,
      GOMAXPROCS: '1',
      HOME: dir,
      XDG_DATA_HOME: dir,
      XDG_CONFIG_HOME: dir,
    });
    procs.push(caddy);
    await waitListening(h);
    await waitListening(s);
    proxies.caddy = { http: h, https: s, pid: caddy.pid! };
  } else console.log('caddy: not installed, left out');

  for (const p of Object.values(proxies)) wrk(`http://${HOST}:${p.http}/`); // warm-up, discarded
  const runs: Record<string, { http: WrkResult[]; https: WrkResult[] }> = {};
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, p] of Object.entries(proxies)) {
      runs[name] ??= { http: [], https: [] };
      runs[name].http.push(wrk(`http://${HOST}:${p.http}/`, p.pid));
      runs[name].https.push(wrk(`https://${HOST}:${p.https}/`, p.pid));
    }
  for (const [name, r] of Object.entries(runs)) {
    const http = combine(r.http);
    const https = combine(r.https);
    results[name] = { http, https };
    const line = (x: WrkResult) => `${x.rps.toFixed(0)} req/s p99 ${x.p99ms.toFixed(2)} ms ${x.cpuUsPerRequest?.toFixed(0)} µs CPU/req (${x.errors} errors)`;
    console.log(`${name} (median of ${ROUNDS}): http ${line(http)}; https ${line(https)}`);
    for (const [shape, r] of [
      ['http', http],
      ['https', https],
    ] as const) {
      rows.push({ figure: `${name}_${shape}_rps`, value: r.rps, unit: 'req/s' });
      rows.push({ figure: `${name}_${shape}_p99`, value: r.p99ms, unit: 'ms' });
      rows.push({ figure: `${name}_${shape}_cpu_per_req`, value: r.cpuUsPerRequest ?? NaN, unit: 'µs' });
      rows.push({ figure: `${name}_${shape}_errors`, value: r.errors, unit: 'count', target: '0', ok: r.errors === 0 });
    }
  }
  for (const shape of ['http', 'https'] as const) {
    const s = results.skiff![shape];
    if (results.caddy)
      rows.push({
        figure: `skiff_vs_caddy_${shape}_rps_ratio`,
        value: s.rps / results.caddy[shape].rps,
        unit: 'x',
        target: '>= 1',
        ok: s.rps >= results.caddy[shape].rps,
      });
    if (results.nginx) {
      rows.push({
        figure: `skiff_vs_nginx_${shape}_rps_ratio`,
        value: s.rps / results.nginx[shape].rps,
        unit: 'x',
        target: '>= 0.5',
        ok: s.rps >= 0.5 * results.nginx[shape].rps,
      });
      rows.push({
        figure: `skiff_vs_nginx_${shape}_p99_ratio`,
        value: s.p99ms / results.nginx[shape].p99ms,
        unit: 'x',
        target: '<= 2',
        ok: s.p99ms <= 2 * results.nginx[shape].p99ms,
      });
    }
  }
  // CPU per request is what the same number of cores turns into requests/s once nothing else competes.
  for (const shape of ['http', 'https'] as const)
    for (const other of ['nginx', 'caddy'])
      if (results[other])
        rows.push({
          figure: `skiff_vs_${other}_${shape}_cpu_ratio`,
          value: (results.skiff![shape].cpuUsPerRequest ?? NaN) / (results[other][shape].cpuUsPerRequest ?? NaN),
          unit: 'x',
        });
  // Skiff alone again, its routes and endpoints changing CHURN_RATE times a second meanwhile.
  const churn: Record<string, WrkResult & { changes: number; changesPerSecond: number }> = {};
  for (const [shape, port] of [
    ['http', sh!],
    ['https', ss!],
  ] as const) {
    skiff.proc.stdin!.write(`churn ${CHURN_RATE}\n`);
    const r = wrk(`${shape}://${HOST}:${port}/`);
    const counted = new Promise<string>((resolve) => skiff.proc.stdout!.once('data', (d) => resolve(String(d))));
    skiff.proc.stdin!.write('stop\n');
    const { changes, seconds } = JSON.parse(await counted) as { changes: number; seconds: number };
    churn[shape] = { ...r, changes, changesPerSecond: changes / seconds };
    console.log(
      `skiff under churn: ${shape} ${r.rps.toFixed(0)} req/s p99 ${r.p99ms.toFixed(2)} ms, ${r.requests} requests, ${r.errors} failed, ${changes} changes in ${seconds.toFixed(1)} s`,
    );
    rows.push({ figure: `skiff_churn_${shape}_rps`, value: r.rps, unit: 'req/s' });
    rows.push({ figure: `skiff_churn_${shape}_failed`, value: r.errors, unit: 'count', target: '0', ok: r.errors === 0 && r.requests > 0 });
    rows.push({
      figure: `skiff_churn_${shape}_changes_per_s`,
      value: changes / seconds,
      unit: '1/s',
      target: `>= ${CHURN_RATE}`,
      ok: changes / seconds >= 0.95 * CHURN_RATE,
    });
  }
  report('ingress', rows, { seconds: SECONDS, connections: CONNECTIONS, rounds: ROUNDS, churnRate: CHURN_RATE, results, churn });
} finally {
  for (const p of procs) p.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
