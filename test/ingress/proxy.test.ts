// The proxy's request path without an API server: a route table built from an Ingress, an
// endpoint source over plain objects, real listeners and real backends on 127.0.0.1. Checks
// retries on connect failure with passive ejection, streamed uploads, the 503 body, the
// header deadline for slow clients, the upstream deadlines (connect, whole request, idle), and
// upstream answers that are malformed or bodiless.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { EndpointPicker } from '../../src/ingress/endpoints.js';
import { DEFAULT_TIMEOUTS, type ForwardContext } from '../../src/ingress/forward.js';
import { openHttp, DEFAULT_LIMITS } from '../../src/ingress/listeners.js';
import { RouteTable } from '../../src/ingress/route-table.js';
import { UpstreamPool } from '../../src/ingress/upstream-client.js';

let backend: http.Server;
let backendPort = 0;
let deadPort = 0;
let listener: Awaited<ReturnType<typeof openHttp>>;
/** The same routes with short upstream deadlines. */
let hasty: Awaited<ReturnType<typeof openHttp>>;
let baseCtx: ForwardContext;
let picker: EndpointPicker;
const upstreams = new UpstreamPool();
let slices: EndpointSlice[] = [];

const service: Service = { metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } };
const slice = (name: string, port: number): EndpointSlice => ({
  metadata: { name, namespace: 'default' },
  addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
});

before(async () => {
  backend = http.createServer((req, res) => {
    // Never answers: the ingress's whole-request deadline must.
    if (req.url === '/never') return;
    // Headers and part of the body, then silence: the idle deadline must cut it.
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('part');
      return;
    }
    // Answers as soon as the first bytes of the body arrive: only a proxy that streams the
    // request body lets the client see this before it has sent the rest.
    if (req.url === '/stream') {
      req.once('data', () => {
        res.writeHead(200);
        res.write('first chunk arrived\n');
      });
      req.on('end', () => res.end('end\n'));
      return;
    }
    // 4 MiB in 4 KiB chunked pieces, each byte its offset mod 251, as fast as the proxy takes them.
    if (req.url === '/download') {
      let sent = 0;
      const more = () => {
        while (sent < 4 * 1024 * 1024) {
          const piece = Buffer.alloc(4096);
          for (let i = 0; i < piece.length; i++) piece[i] = (sent + i) % 251;
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', more);
        }
        res.end();
      };
      return more();
    }
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(`received ${n}`));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as net.AddressInfo).port;
  // A port that refuses connections: bound, then closed.
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  deadPort = (tmp.address() as net.AddressInfo).port;
  await new Promise((r) => tmp.close(r));
  const table = RouteTable.build([
    {
      metadata: { name: 'i', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
      spec: {
        rules: [
          {
            host: 'h',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: 's', port: { name: 'http' } } } },
                { path: '/gone', pathType: 'Prefix', backend: { service: { name: 'gone', port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    },
  ]);
  picker = new EndpointPicker({ service: (_ns, n) => (n === 's' ? service : undefined), slices: () => slices }, { maxFailures: 2, ejectMs: 60_000 });
  const ctx: ForwardContext = { table: () => table, picker, upstreams, timeouts: DEFAULT_TIMEOUTS, httpsPort: undefined };
  baseCtx = ctx;
  listener = await openHttp(ctx, '127.0.0.1', 0, { ...DEFAULT_LIMITS, headersTimeoutMs: 1_000 });
  hasty = await openHttp({ ...ctx, timeouts: { connectMs: 1_000, idleMs: 1_500, requestMs: 800 } }, '127.0.0.1', 0, DEFAULT_LIMITS);
});

after(async () => {
  upstreams.destroy();
  await listener.close();
  await hasty.close();
  backend.closeAllConnections();
  await new Promise((r) => backend.close(r));
});

function send(method: string, path: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: listener.port, method, path, headers: { host: 'h' }, agent: false }, (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a refused connect is retried on another endpoint; the failing one is ejected after N failures', async () => {
  slices = [slice('dead', deadPort), slice('live', backendPort)];
  for (let i = 0; i < 6; i++) assert.deepEqual(await send('GET', '/x'), { status: 200, body: 'received 0' });
  assert.equal(picker.healthy(`127.0.0.1:${deadPort}`), false);
  assert.equal(picker.healthy(`127.0.0.1:${backendPort}`), true);
});

test('a POST whose connect fails sent nothing and goes to another endpoint; with none left, 502 names the endpoint', async () => {
  slices = [slice('dead', deadPort), slice('live', backendPort)];
  for (let i = 0; i < 4; i++) assert.deepEqual(await send('POST', '/x', Buffer.from('hi')), { status: 200, body: 'received 2' });
  slices = [slice('dead', deadPort)];
  const r = await send('POST', '/x', Buffer.from('hi'));
  assert.equal(r.status, 502);
  assert.match(r.body, new RegExp(`127\\.0\\.0\\.1:${deadPort}`));
});

test('a large upload streams through; missing Service and no endpoints answer 503 with the reason', async () => {
  slices = [slice('live', backendPort)];
  const big = Buffer.alloc(8 * 1024 * 1024, 7);
  assert.deepEqual(await send('PUT', '/upload', big), { status: 200, body: `received ${big.length}` });
  const gone = await send('GET', '/gone');
  assert.equal(gone.status, 503);
  assert.match(gone.body, /Service default\/gone does not exist/);
  slices = [];
  const none = await send('GET', '/x');
  assert.equal(none.status, 503);
  assert.match(none.body, /no ready endpoints/);
});

test('a client that sends its headers too slowly is answered 408 and cut off', async () => {
  const start = Date.now();
  const out = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(listener.port, '127.0.0.1', () => sock.write('GET / HTTP/1.1\r\nHost: h\r\n'));
    let o = '';
    sock.on('data', (d) => (o += d));
    sock.on('close', () => resolve(o));
    sock.on('error', reject);
    sock.setTimeout(8_000, () => sock.destroy());
  });
  assert.match(out, /^HTTP\/1\.1 408/);
  assert.ok(Date.now() - start < 5_000, `cut after ${Date.now() - start} ms`);
});

test('the request body streams upstream: the backend answers its first chunk before the client has sent the rest', async () => {
  slices = [slice('live', backendPort)];
  const req = http.request({ host: '127.0.0.1', port: listener.port, method: 'PUT', path: '/stream', headers: { host: 'h' }, agent: false });
  req.write('first');
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
    setTimeout(() => reject(new Error('no response while the body is still open: the proxy buffers request bodies')), 5_000);
  });
  assert.equal(res.statusCode, 200);
  res.setEncoding('utf8');
  const first = await new Promise<string>((resolve) => res.once('data', resolve));
  assert.equal(first, 'first chunk arrived\n');
  req.end('rest');
  let rest = '';
  for await (const c of res) rest += c;
  assert.equal(rest, 'end\n');
});

test('upstream deadlines: no response headers in time → 504 naming the deadline; a response gone silent is cut', async () => {
  slices = [slice('live', backendPort)];
  const ask = (path: string) =>
    new Promise<{ status: number; body: string; cut: boolean; ms: number }>((resolve, reject) => {
      const start = Date.now();
      const req = http.get({ host: '127.0.0.1', port: hasty.port, path, headers: { host: 'h' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, cut: false, ms: Date.now() - start }));
        res.on('error', () => resolve({ status: res.statusCode!, body, cut: true, ms: Date.now() - start }));
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error(`${path}: no end within 10 s`)));
    });
  const never = await ask('/never');
  assert.equal(never.status, 504);
  assert.match(never.body, /sent no response within 800 ms/);
  assert.ok(never.ms >= 700, `answered after ${never.ms} ms`);
  const stall = await ask('/stall');
  assert.equal(stall.status, 200);
  assert.equal(stall.body, 'part');
  assert.ok(stall.cut, 'the stalled response ended as if complete');
  assert.ok(stall.ms >= 1_400, `cut after ${stall.ms} ms, before the idle deadline`);
});

test('connect deadline: an endpoint whose connects hang is given up after connectMs and the request goes to another one', async (t) => {
  // A listener that never accepts, its queue filled: further connects get no SYN-ACK and hang.
  // Node always accepts, so a small python3 process holds it.
  if (spawnSync('python3', ['-c', '']).status !== 0) {
    t.skip('python3 is not installed (it holds a listener that never accepts)');
    return;
  }
  const holder = spawn(
    'python3',
    ['-c', "import socket,sys,time\ns=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(0)\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()"],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const fill: net.Socket[] = [];
  const quick = await openHttp({ ...baseCtx, timeouts: { connectMs: 500, idleMs: 5_000, requestMs: 5_000 } }, '127.0.0.1', 0, DEFAULT_LIMITS);
  try {
    const port = Number(await new Promise<string>((r) => holder.stdout.once('data', (d) => r(String(d).trim()))));
    for (let i = 0; i < 3; i++) {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      fill.push(c);
    }
    await new Promise((r) => setTimeout(r, 300));
    slices = [slice('blackhole', port)];
    const start = Date.now();
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: quick.port, path: '/x', headers: { host: 'h' }, agent: false }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: b }));
        })
        .on('error', reject);
    });
    assert.equal(r.status, 504);
    assert.match(r.body, new RegExp(`connect to 127\\.0\\.0\\.1:${port} timed out after 500 ms`));
    assert.ok(Date.now() - start >= 450, `answered after ${Date.now() - start} ms`);
    slices = [slice('blackhole', port), slice('live', backendPort)];
    for (let i = 0; i < 2; i++) {
      const ok = await new Promise<number>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port: quick.port, path: '/x', headers: { host: 'h' }, agent: false }, (res) => resolve(res.resume().statusCode!))
          .on('error', reject);
      });
      assert.equal(ok, 200);
    }
  } finally {
    for (const c of fill) c.destroy();
    await quick.close();
    holder.stdin.end();
    holder.kill();
  }
});

test('HTTP/1.1 keep-alive: a client connection carries one request after another', async () => {
  slices = [slice('live', backendPort)];
  const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: listener.port, path: `/k${i}`, headers: { host: 'h' }, agent: client }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
        reused.push(req.reusedSocket);
      });
      assert.equal(body, 'received 0');
    }
    assert.deepEqual(reused, [false, true, true]);
  } finally {
    client.destroy();
  }
});

test('a large chunked download reaches a slow reader whole and in order (the upstream waits while the client lags)', async () => {
  slices = [slice('live', backendPort)];
  const got = await new Promise<Buffer>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: listener.port, path: '/download', headers: { host: 'h' }, agent: false }, (res) => {
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      const parts: Buffer[] = [];
      // Reads in short bursts with pauses, so the proxy's writes to it back up.
      res.on('data', (c: Buffer) => {
        parts.push(c);
        res.pause();
        setTimeout(() => res.resume(), 1);
      });
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  assert.equal(got.length, 4 * 1024 * 1024);
  for (let i = 0; i < got.length; i += 4093) assert.equal(got[i], i % 251, `byte ${i}`);
});

test('a malformed upstream response is answered 502 naming the endpoint; a 304 with a Content-Length is relayed bodiless', async () => {
  // Answers the paths it knows with the bytes below, each on a connection of its own.
  const raw = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', (d) => {
      const path = /^[A-Z]+ (\S+)/.exec(String(d))?.[1];
      if (path === '/bad') sock.end('HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n');
      else sock.write('HTTP/1.1 304 Not Modified\r\nETag: "a"\r\nContent-Length: 50\r\n\r\n');
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const port = (raw.address() as net.AddressInfo).port;
  try {
    slices = [slice('raw', port)];
    const bad = await send('POST', '/bad');
    assert.equal(bad.status, 502);
    assert.match(bad.body, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.deepEqual(await send('GET', '/cached'), { status: 304, body: '' });
  } finally {
    raw.close();
  }
});

test('a client that waits for 100 Continue gets it from the ingress, and its body reaches the backend', async () => {
  slices = [slice('live', backendPort)];
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: listener.port,
      method: 'PUT',
      path: '/x',
      headers: { host: 'h', expect: '100-continue', 'content-length': '5' },
      agent: false,
    });
    req.on('continue', () => req.end('hello'));
    req.on('response', (res) => {
      let b = '';
      res.on('data', (c) => (b += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('no 100 Continue within 5 s')));
  });
  assert.deepEqual(r, { status: 200, body: 'received 5' });
});
