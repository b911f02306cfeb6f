// Slow and idle clients: a body or headers dribbled too slowly are cut off at the request
// timeout, 1,000 idle TLS connections without credentials neither pile up nor slow others,
// and a watch outlives the request timeout (the timeout covers receiving the request only).
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, afterEach, before, test } from 'node:test';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { rawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertHealthy } from './harness.js';

const RSS_BOUND_MIB = 600;
const REQUEST_TIMEOUT_S = 2;

let s: TestServer;
let raw: ReturnType<typeof rawClient>;

before(async () => {
  s = await startServer({ args: ['--request-timeout', `${REQUEST_TIMEOUT_S}s`] });
  raw = rawClient(s.kubeconfig);
});
afterEach(async () => assertHealthy(s, RSS_BOUND_MIB));
after(async () => {
  raw?.close();
  await s?.cleanup();
});

/** A TLS connection to the server with the admin certificate (or none); resolves once the handshake is done. */
function connect(withCert: boolean): Promise<tls.TLSSocket> {
  const { options } = loadKubeconfig(s.kubeconfig);
  return new Promise((resolve, reject) => {
    const sock = tls.connect(
      { host: '127.0.0.1', port: s.port, ca: options.ca, ...(withCert ? { cert: options.cert, key: options.key } : {}), rejectUnauthorized: false },
      () => resolve(sock),
    );
    sock.once('error', reject);
  });
}

/** Resolves with what the server wrote and the ms until it closed the connection (or rejects after `maxMs`). */
function closedWithin(sock: tls.TLSSocket, maxMs: number): Promise<{ ms: number; data: string }> {
  const t0 = performance.now();
  let data = '';
  sock.on('data', (d) => (data += d));
  sock.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`connection still open after ${maxMs} ms`));
    }, maxMs);
    sock.once('close', () => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, data });
    });
  });
}

test('a body that does not arrive within --request-timeout is cut off with 408', async () => {
  const sock = await connect(true);
  sock.write('POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":');
  const timer = setInterval(() => sock.writable && sock.write(' '), 300);
  try {
    const r = await closedWithin(sock, (REQUEST_TIMEOUT_S + 4) * 1000);
    assert.ok(r.ms >= (REQUEST_TIMEOUT_S - 0.5) * 1000, `closed after ${r.ms} ms`);
    assert.match(r.data, /^HTTP\/1\.1 408/);
  } finally {
    clearInterval(timer);
  }
});

test('headers that do not arrive in time are cut off', async () => {
  const sock = await connect(true);
  sock.write('GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n');
  const timer = setInterval(() => sock.writable && sock.write('X-Slow: 1\r\n'), 300);
  try {
    const r = await closedWithin(sock, (REQUEST_TIMEOUT_S + 4) * 1000);
    assert.match(r.data, /^HTTP\/1\.1 408/);
  } finally {
    clearInterval(timer);
  }
});

test('a watch outlives the request timeout', async () => {
  const { options } = loadKubeconfig(s.kubeconfig);
  const lines: string[] = [];
  const req = https.get({
    host: '127.0.0.1',
    port: s.port,
    path: '/api/v1/namespaces/default/configmaps?watch=true',
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    agent: false,
  });
  const res = await new Promise<import('node:http').IncomingMessage>((r) => req.once('response', r));
  assert.equal(res.statusCode, 200);
  res.on('data', (d) => lines.push(String(d)));
  await new Promise((r) => setTimeout(r, (REQUEST_TIMEOUT_S + 2) * 1000));
  const cm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-timeout' } });
  assert.equal((await raw.request('POST', '/api/v1/namespaces/default/configmaps', cm)).status, 201);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!res.destroyed && !res.readableEnded, 'the watch was closed');
  assert.match(lines.join(''), /"ADDED".*after-timeout/);
  req.destroy();
});

test('1,000 idle TLS connections without credentials: at most 256 stay, others are served fast', async () => {
  const socks: tls.TLSSocket[] = [];
  let closed = 0;
  for (let i = 0; i < 1000; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, () => connect(false)));
    for (const sk of batch) {
      sk.on('error', () => undefined);
      sk.resume(); // a paused socket never sees the server's close
      sk.once('close', () => closed++);
      socks.push(sk);
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  try {
    assert.ok(closed >= 1000 - 256, `only ${closed} of 1000 idle connections were closed`);
    const t0 = performance.now();
    const r = await raw.request('GET', '/api/v1/namespaces/default/configmaps');
    assert.equal(r.status, 200);
    assert.ok(performance.now() - t0 < 1000, `an authenticated list took ${performance.now() - t0} ms`);
  } finally {
    for (const sk of socks) sk.destroy();
  }
});
