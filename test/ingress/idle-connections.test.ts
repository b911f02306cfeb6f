// 10,000 concurrent idle client connections against the ingress's HTTP listener, on loopback:
// the listener (a child process, so its memory and descriptors are its own) accepts them all,
// keeps serving new requests meanwhile, grows its resident memory by a bounded amount per
// connection, answers requests sent later on any of the idle connections, and when the header
// deadline passes cuts every one of them with a 408, giving its memory and descriptors back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { eventually } from '../helpers/wait.js';

const CONNECTIONS = 10_000;
/**
 * Resident memory the listener may grow by per idle connection: Node's socket, HTTP parser and
 * their buffers measure ~8 KiB here; twice that would mean something is held per connection.
 */
const MAX_BYTES_PER_CONNECTION = 16 * 1024;

const mod = (p: string) => JSON.stringify(new URL(`../../src/ingress/${p}`, import.meta.url).href);
// The listener with the ingress's own route table, picker and limits; a long header deadline
// while the connections pile up, shortened on "cut" from the test (the server reads it on
// every check, as a restart with a new limit would).
const CHILD = (backendPort: number) => `
import http from 'node:http';
import { RouteTable } from ${mod('route-table.js')};
import { EndpointPicker } from ${mod('endpoints.js')};
import { DEFAULT_TIMEOUTS } from ${mod('forward.js')};
import { openHttp, DEFAULT_LIMITS } from ${mod('listeners.js')};
const table = RouteTable.build([{ metadata: { name: 'i', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec: { rules: [{ host: 'h', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } }]);
const service = { metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ port: 80, protocol: 'TCP' }] } };
const slices = [{ metadata: { name: 's' }, addressType: 'IPv4', ports: [{ port: ${backendPort}, protocol: 'TCP' }], endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }] }];
const picker = new EndpointPicker({ service: () => service, slices: () => slices });
const { UpstreamPool } = await import(${mod('upstream-client.js')});
const ctx = { table: () => table, picker, upstreams: new UpstreamPool(), timeouts: DEFAULT_TIMEOUTS, httpsPort: undefined };
const l = await openHttp(ctx, '127.0.0.1', 0, { ...DEFAULT_LIMITS, headersTimeoutMs: 600_000, keepAliveTimeoutMs: 600_000 });
process.stdout.write(l.port + '\\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { if (d.includes('cut')) l.server.headersTimeout = 2_000; });
process.stdin.on('end', () => process.exit(0));`;

function softFdLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

const rssBytes = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

function get(port: number, path: string, socket?: net.Socket): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers: { host: 'h' }, agent: false, ...(socket ? { createConnection: () => socket } : {}) },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`GET ${path} got no answer within 15 s`)));
  });
}

let child: ChildProcess | undefined;
let backend: http.Server | undefined;
const clients: net.Socket[] = [];
after(async () => {
  for (const c of clients) c.destroy();
  child?.stdin?.end();
  child?.kill();
  backend?.closeAllConnections();
  await new Promise((r) => (backend ? backend.close(r) : r(undefined)));
});

test('10,000 idle connections: all accepted, new requests served, memory bounded, cut with 408 at the header deadline', { timeout: 240_000 }, async (t) => {
  const need = CONNECTIONS + 500;
  if (softFdLimit() < need) {
    // Node cannot raise its own limit; the shell that starts the tests can.
    t.skip(`the open-files limit is ${softFdLimit()}; this test needs ${need} (run \`ulimit -n ${need}\` first)`);
    return;
  }
  backend = http.createServer((req, res) => res.end(`backend ${req.url}`));
  await new Promise<void>((r) => backend!.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as net.AddressInfo).port;
  // The child raises its own soft limit to the hard one (a shell can), and says so if it cannot.
  child = spawn(
    'sh',
    [
      '-c',
      `ulimit -n ${need} 2>/dev/null || echo "cannot raise the open-files limit to ${need}" >&2; exec "$0" --input-type=module -e "$1"`,
      process.execPath,
      CHILD(backendPort),
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    child!.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child!.once('exit', (code) => reject(new Error(`the listener exited ${code}: ${stderr}`)));
  });
  const pid = child.pid!;
  const logs = () => stderr;

  // Warm: the first requests allocate what every later one reuses.
  for (let i = 0; i < 50; i++) assert.equal((await get(port, `/warm/${i}`)).status, 200);
  const rss0 = rssBytes(pid);
  const fd0 = fdCount(pid);

  // Open them in batches; each only connects and sends nothing.
  const replies = new Map<net.Socket, string>();
  for (let i = 0; i < CONNECTIONS; i += 500) {
    await Promise.all(
      Array.from(
        { length: Math.min(500, CONNECTIONS - i) },
        () =>
          new Promise<void>((resolve, reject) => {
            const c = net.connect(port, '127.0.0.1', () => resolve());
            c.on('error', reject);
            replies.set(c, '');
            c.on('data', (d) => replies.set(c, replies.get(c) + String(d)));
            clients.push(c);
          }),
      ),
    );
  }
  await eventually(
    `the listener to hold ${CONNECTIONS} connections`,
    60_000,
    // A few of the baseline descriptors are pooled upstream connections the backend may close meanwhile.
    async () => (fdCount(pid) - fd0 >= CONNECTIONS - 5 ? true : undefined),
    () => `descriptors ${fd0} → ${fdCount(pid)}; clients open ${clients.filter((c) => !c.destroyed).length}\n${stderr}`,
    500,
  );
  t.diagnostic(`descriptors ${fd0} → ${fdCount(pid)}`);

  // New requests are served while all of them are open.
  for (let i = 0; i < 20; i++) assert.deepEqual(await get(port, `/during/${i}`), { status: 200, body: `backend /during/${i}` });
  const grown = rssBytes(pid) - rss0;
  t.diagnostic(
    `resident memory ${(rss0 / 2 ** 20).toFixed(1)} MiB + ${(grown / 2 ** 20).toFixed(1)} MiB for ${CONNECTIONS} idle connections (${Math.round(grown / CONNECTIONS)} B each)`,
  );
  assert.ok(grown < CONNECTIONS * MAX_BYTES_PER_CONNECTION, `grew ${grown} B, over ${MAX_BYTES_PER_CONNECTION} B per connection`);

  // An idle connection that finally sends a request is answered like any other.
  const late = clients.slice(0, 100);
  for (const [i, c] of late.entries()) assert.deepEqual(await get(port, `/late/${i}`, c), { status: 200, body: `backend /late/${i}` });

  // At the header deadline every connection still idle is answered 408 and closed.
  const idle = clients.slice(100);
  const closed = idle.map((c) => new Promise<void>((r) => (c.destroyed ? r() : c.once('close', () => r()))));
  child.stdin!.write('cut\n');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(closed),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`idle connections still open 60 s after the deadline: ${idle.filter((c) => !c.destroyed).length}`)), 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const answered408 = idle.filter((c) => /^HTTP\/1\.1 408 /.test(replies.get(c) ?? '')).length;
  assert.equal(answered408, idle.length, `${idle.length - answered408} idle connections were closed without a 408`);
  assert.equal(child.exitCode, null, `the listener exited: ${stderr}`);
  await eventually('the descriptors given back', 30_000, async () => (fdCount(pid) - fd0 < 200 ? true : undefined), logs, 500);
  assert.deepEqual(await get(port, '/after'), { status: 200, body: 'backend /after' });
});
