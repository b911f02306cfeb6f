// The upstream client against real sockets on 127.0.0.1: reuse of keep-alive connections, the
// upstream's Keep-Alive timeout respected, a reused connection closed under a request reported
// as such (the proxy retries those), request bodies framed both ways, answers without a body,
// 1xx skipped, malformed responses refused, and the codes the proxy's retry logic reads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { UpstreamPool, type BodyFraming, type UpstreamError } from '../../src/ingress/upstream-client.js';

const pool = new UpstreamPool();
after(() => pool.destroy());
const timeouts = { connectMs: 2_000, idleMs: 5_000 };

const idle = () => new Promise((r) => setTimeout(r, 20));

interface Result {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function send(
  port: number,
  path: string,
  opts: { method?: string; body?: BodyFraming; src?: Readable; headers?: http.OutgoingHttpHeaders; idleMs?: number } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    let body = '';
    pool.request(
      {
        host: '127.0.0.1',
        port,
        key: `127.0.0.1:${port}`,
        method: opts.method ?? 'GET',
        path,
        headers: { host: 'h', ...opts.headers },
        body: opts.body ?? 'none',
        src: opts.src,
        timeouts: opts.idleMs ? { ...timeouts, idleMs: opts.idleMs } : timeouts,
      },
      {
        connected: () => {},
        head: (h) => {
          status = h.status;
          headers = h.headers;
        },
        data: (c) => {
          body += c;
          return true;
        },
        end: () => resolve({ status, body, headers }),
        error: reject,
      },
    );
  });
}

async function server(handler: http.RequestListener): Promise<{ port: number; connections: () => number; closeAll: () => void; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  let n = 0;
  s.on('connection', () => n++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as net.AddressInfo).port,
    connections: () => n,
    closeAll: () => s.closeAllConnections(),
    close: () =>
      new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      }),
  };
}

test('keep-alive connections are reused one request after another', async () => {
  const s = await server((req, res) => res.end(`at ${req.url}`));
  const a = await send(s.port, '/a');
  // A connection is handed a new request once the event loop has turned (a request sent at once goes on another).
  await idle();
  const b = await send(s.port, '/b');
  assert.deepEqual([a.status, a.body, b.status, b.body], [200, 'at /a', 200, 'at /b']);
  assert.equal(s.connections(), 1);
  await s.close();
});

test('an upstream that keeps idle connections 1 s is not sent another request on one', async () => {
  const s = await server((_req, res) => {
    res.setHeader('keep-alive', 'timeout=1');
    res.end('ok');
  });
  await send(s.port, '/');
  await idle();
  await send(s.port, '/');
  assert.equal(s.connections(), 2);
  await s.close();
});

test('a reused connection the upstream closes under a request fails with ECONNRESET and says it was reused', async () => {
  // Answers the first request on each connection, then closes it when the next one comes.
  const raw = net.createServer((sock) => {
    let seen = 0;
    sock.on('data', () => {
      if (seen++ === 0) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else sock.end();
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const port = (raw.address() as net.AddressInfo).port;
  assert.equal((await send(port, '/')).body, 'ok');
  await idle();
  await assert.rejects(send(port, '/'), (err: UpstreamError) => err.code === 'ECONNRESET' && err.reused === true);
  // A fresh connection works again.
  assert.equal((await send(port, '/')).body, 'ok');
  raw.close();
});

test('request bodies: under their Content-Length as sent, otherwise chunked; an empty POST says Content-Length: 0', async () => {
  const s = await server((req, res) => {
    let n = '';
    req.on('data', (c) => (n += c));
    req.on('end', () => res.end(`${req.headers['content-length'] ?? '-'} ${req.headers['transfer-encoding'] ?? '-'} ${n}`));
  });
  const fixed = await send(s.port, '/', {
    method: 'PUT',
    body: 'length',
    headers: { 'content-length': '11' },
    src: Readable.from([Buffer.from('hello'), Buffer.from(' world')]),
  });
  assert.equal(fixed.body, '11 - hello world');
  const chunked = await send(s.port, '/', { method: 'POST', body: 'chunked', src: Readable.from([Buffer.from('a'), Buffer.from(''), Buffer.from('bc')]) });
  assert.equal(chunked.body, '- chunked abc');
  const empty = await send(s.port, '/', { method: 'POST' });
  assert.equal(empty.body, '0 - ');
  await s.close();
});

test('a path with unescaped characters is refused before anything is sent', () => {
  assert.throws(
    () =>
      pool.request(
        { host: '127.0.0.1', port: 1, key: '127.0.0.1:1', method: 'GET', path: '/a b', headers: {}, body: 'none', timeouts },
        { connected() {}, head() {}, data: () => true, end() {}, error() {} },
      ),
    { code: 'ERR_UNESCAPED_CHARACTERS' },
  );
});

/** A server that answers each request with the bytes `wire` gives for its path, on a connection it then keeps open. */
async function rawServer(wire: (path: string) => string): Promise<{ port: number; close: () => void }> {
  const socks = new Set<net.Socket>();
  const raw = net.createServer((sock) => {
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.on('error', () => {});
    sock.on('data', (d) => {
      const path = /^[A-Z]+ (\S+)/.exec(String(d))?.[1];
      if (path) sock.write(Buffer.from(wire(path), 'latin1'));
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  return {
    port: (raw.address() as net.AddressInfo).port,
    close: () => {
      for (const s of socks) s.destroy();
      raw.close();
    },
  };
}

test('1xx answers are skipped; HEAD, 204 and 304 end with their head; repeated headers as Node presents them', async () => {
  const s = await rawServer((path) => {
    if (path === '/early') return 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    if (path === '/cookies')
      return 'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: a\r\nVary: b\r\nContent-Type: x/1\r\nContent-Type: x/2\r\nContent-Length: 0\r\n\r\n';
    if (path === '/te') return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
    return `HTTP/1.1 ${path.slice(1)} X\r\nContent-Length: 50\r\n\r\n`;
  });
  const early = await send(s.port, '/early');
  assert.deepEqual([early.status, early.body, early.headers.link], [200, 'ok', undefined]);
  const bodiless = [];
  for (const [method, path] of [
    ['HEAD', '/200'],
    ['GET', '/204'],
    ['GET', '/304'],
  ]) {
    const r = await send(s.port, path!, { method });
    bodiless.push(`${r.status} ${r.body}`);
  }
  assert.deepEqual(bodiless, ['200 ', '204 ', '304 ']);
  const h = (await send(s.port, '/cookies')).headers;
  assert.deepEqual([h['set-cookie'], h.vary, h['content-type']], [['a=1', 'b=2'], 'a, b', 'x/1']);
  const te = await send(s.port, '/te');
  assert.deepEqual([te.body, te.headers['content-length']], ['ok', undefined]);
  s.close();
});

test('malformed responses are refused at once, never taken for a reset connection to retry; a response cut short is a hang-up', async () => {
  const wires: Record<string, string> = {
    '/version': 'HTTP/2 200 OK\r\n\r\n',
    '/status': 'HTTP/1.1 20 OK\r\n\r\n',
    '/name': 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
    '/lengths': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok',
    '/negative': 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
    '/chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    '/upgrade': 'HTTP/1.1 101 Switching Protocols\r\n\r\n',
  };
  const s = await rawServer((path) => wires[path] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort');
  for (const path of Object.keys(wires)) await assert.rejects(send(s.port, path), (err: UpstreamError) => err.code !== 'EIDLE' && err.reused === false, path);
  // The short one: the server closes after sending part of the body.
  const short = net.createServer((sock) => sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort')));
  await new Promise<void>((r) => short.listen(0, '127.0.0.1', r));
  await assert.rejects(send((short.address() as net.AddressInfo).port, '/'), { code: 'ECONNRESET' });
  short.close();
  s.close();
});

test('an upstream silent past the idle deadline fails the request with EIDLE', async () => {
  const s = await rawServer(() => '');
  await assert.rejects(send(s.port, '/', { idleMs: 300 }), { code: 'EIDLE', message: `no data from 127.0.0.1:${s.port} for 300 ms` });
  s.close();
});

test('an idle pooled connection does not keep the process alive', async () => {
  const s = await server((_req, res) => res.end('ok'));
  const mod = JSON.stringify(new URL('../../src/ingress/upstream-client.js', import.meta.url).href);
  // The child makes one request and keeps its pool open: it must exit on its own, its connection left idle.
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { UpstreamPool } = await import(${mod});
new UpstreamPool().request({ host: '127.0.0.1', port: ${s.port}, key: '127.0.0.1:${s.port}', method: 'GET', path: '/', headers: { host: 'h' }, body: 'none', timeouts: { connectMs: 2000, idleMs: 60000 } },
  { connected() {}, head(h) { process.stdout.write(String(h.status)); }, data: () => true, end() {}, error(e) { console.error(e); process.exit(1); } });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill(), 10_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  assert.equal(out, '200');
  assert.equal(code, 0, 'the child was still running 10 s after its answer');
  assert.equal(s.connections(), 1);
  await s.close();
});

test('the pool of an endpoint that has closed all its connections is dropped, and a later request opens a new one', async () => {
  const s = await server((_req, res) => res.end('ok'));
  const key = `127.0.0.1:${s.port}`;
  const pools = (pool as unknown as { pools: Map<number, Map<string, unknown>> }).pools;
  const before = await send(s.port, '/');
  assert.ok(pools.get(timeouts.connectMs)?.has(key));
  s.closeAll();
  for (let i = 0; i < 100 && pools.get(timeouts.connectMs)?.has(key); i++) await idle();
  assert.equal(pools.get(timeouts.connectMs)?.has(key), false, 'the pool outlived its last connection');
  assert.equal(before.body, 'ok');
  assert.equal((await send(s.port, '/')).body, 'ok');
  await s.close();
});
