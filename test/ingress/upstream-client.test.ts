// The upstream connection pool against real sockets on 127.0.0.1: reuse of keep-alive
// connections, the upstream's Keep-Alive timeout respected, a reused connection closed under
// a request reported as such (the proxy retries those), and request bodies framed both ways.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { UpstreamPool, type BodyFraming, type Exchange } from '../../src/ingress/upstream-client.js';

const pool = new UpstreamPool();
after(() => pool.destroy());
const timeouts = { connectMs: 2_000, idleMs: 5_000 };

interface Result {
  status: number;
  body: string;
  reused: boolean;
}

function send(
  port: number,
  path: string,
  opts: { method?: string; body?: BodyFraming; src?: Readable; headers?: http.OutgoingHttpHeaders } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let body = '';
    let x: Exchange | undefined;
    x = pool.request(
      {
        host: '127.0.0.1',
        port,
        key: `127.0.0.1:${port}`,
        method: opts.method ?? 'GET',
        path,
        headers: { host: 'h', ...opts.headers },
        body: opts.body ?? 'none',
        timeouts,
      },
      {
        connected: (ex) => {
          x = ex;
          if (opts.src) ex.pump(opts.src);
        },
        head: (h) => (status = h.status),
        data: (c) => {
          body += c;
          return true;
        },
        end: () => resolve({ status, body, reused: x!.reused }),
        error: (err) => reject(Object.assign(err, { reused: x?.reused })),
      },
    );
  });
}

async function server(handler: http.RequestListener): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  const s = http.createServer(handler);
  let n = 0;
  s.on('connection', () => n++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    port: (s.address() as net.AddressInfo).port,
    connections: () => n,
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
  const b = await send(s.port, '/b');
  assert.deepEqual(a, { status: 200, body: 'at /a', reused: false });
  assert.deepEqual(b, { status: 200, body: 'at /b', reused: true });
  assert.equal(s.connections(), 1);
  await s.close();
});

test('an upstream that keeps idle connections 1 s is not sent another request on one', async () => {
  const s = await server((_req, res) => {
    res.setHeader('keep-alive', 'timeout=1');
    res.end('ok');
  });
  await send(s.port, '/');
  const second = await send(s.port, '/');
  assert.equal(second.reused, false);
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
  await assert.rejects(send(port, '/'), (err: NodeJS.ErrnoException & { reused?: boolean }) => err.code === 'ECONNRESET' && err.reused === true);
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
