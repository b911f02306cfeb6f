import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { Client } from '../../src/client/client.js';
import { ApiError, type ClientWatchEvent } from '../../src/client/transport.js';
import { until } from './fake-api.js';

let dir: string;
let serverCert: Buffer;
let serverKey: Buffer;
let clientCert: Buffer;
let clientKey: Buffer;
let server: https.Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string; peerCN?: string }[] = [];
const counters = new Map<string, number>();
let endlessClosed = false;

function selfSigned(name: string, subject: string, san?: string): [Buffer, Buffer] {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '1',
      '-subj',
      subject,
      ...(san ? ['-addext', `subjectAltName=${san}`] : []),
    ],
    { stdio: 'ignore', timeout: 10_000 },
  );
  return [readFileSync(crt), readFileSync(key)];
}

const events: ClientWatchEvent[] = [
  { type: 'ADDED', object: { kind: 'ConfigMap', metadata: { name: 'café', resourceVersion: '5' }, data: { text: '日本語 ✓' } } },
  { type: 'MODIFIED', object: { kind: 'ConfigMap', metadata: { name: 'café', resourceVersion: '6' }, data: { big: 'x'.repeat(5000) } } },
  { type: 'BOOKMARK', object: { kind: 'ConfigMap', metadata: { resourceVersion: '7' } } },
  { type: 'DELETED', object: { kind: 'ConfigMap', metadata: { name: 'café', resourceVersion: '8' } } },
];

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = new URL(req.url!, 'https://x');
  const peer = (req.socket as TLSSocket).getPeerCertificate?.();
  seen.push({
    method: req.method!,
    url: req.url!,
    headers: req.headers,
    body: Buffer.concat(chunks).toString(),
    peerCN: peer?.subject?.CN === undefined ? undefined : String(peer.subject.CN),
  });
  const count = (k: string) => {
    const n = (counters.get(k) ?? 0) + 1;
    counters.set(k, n);
    return n;
  };
  const p = url.pathname;
  if (p === '/api/v1/namespaces/default/configmaps/x' && req.method === 'GET') {
    return json(res, 200, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'x', namespace: 'default' } });
  }
  if (p === '/api/v1/namespaces/default/configmaps' && url.searchParams.get('watch') === '1') {
    // Chunks of 7 bytes cut through lines and through multi-byte characters.
    const stream = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < stream.length; i += 7) {
      res.write(stream.subarray(i, i + 7));
      if (i % 700 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    return res.end();
  }
  if (p === '/api/v1/namespaces/default/configmaps' && req.method === 'POST') {
    return json(res, 201, JSON.parse(Buffer.concat(chunks).toString()));
  }
  if (p === '/api/v1/namespaces/default/configmaps/x' && req.method === 'PATCH') return json(res, 200, { patched: true });
  if (p === '/api/v1/namespaces/default/configmaps/missing') {
    return json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'configmaps "missing" not found' });
  }
  if (p === '/plain-error') {
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end('something broke');
  }
  if (p === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end('ok');
  }
  if (p === '/busy') {
    if (count('busy') <= 2) return json(res, 429, { kind: 'Status', code: 429, reason: 'TooManyRequests' }, { 'retry-after': '0' });
    return json(res, 200, { ok: true, attempts: counters.get('busy') });
  }
  if (p === '/busy-no-header') return json(res, 429, { kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'slow down' });
  if (p === '/api/v1/namespaces/busy/configmaps') {
    if (count('busywatch') === 1) return json(res, 429, { kind: 'Status', code: 429, reason: 'TooManyRequests' }, { 'retry-after': '0' });
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(`${JSON.stringify(events[0])}\n`);
  }
  if (p === '/api/v1/namespaces/gone/configmaps') {
    return json(res, 410, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' });
  }
  if (p === '/api/v1/namespaces/broken/configmaps') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write(`${JSON.stringify(events[0])}\n{"type":"MODI`);
    setTimeout(() => res.socket?.destroy(), 10);
    return;
  }
  if (p === '/api/v1/namespaces/endless/configmaps') {
    res.writeHead(200, { 'content-type': 'application/json' });
    const t = setInterval(() => res.write(`${JSON.stringify(events[0])}\n`), 5);
    res.on('close', () => {
      clearInterval(t);
      endlessClosed = true;
    });
    return;
  }
  json(res, 404, { kind: 'Status', code: 404, reason: 'NotFound', message: `no route ${p}` });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-https-'));
  [serverCert, serverKey] = selfSigned('server', '/CN=127.0.0.1', 'IP:127.0.0.1');
  [clientCert, clientKey] = selfSigned('client', '/CN=alice/O=devs');
  server = https.createServer({ cert: serverCert, key: serverKey, ca: clientCert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    handle(req, res).catch((e) => {
      res.destroy(e);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.closeAllConnections();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function transport(extra: Partial<ConstructorParameters<typeof HttpsTransport>[0]> = {}) {
  return new HttpsTransport({ server: base, ca: serverCert, token: 't0ken', userAgent: 'skiff-test', ...extra });
}

test('requests: JSON bodies and answers, auth header, content types', async () => {
  const t = transport();
  try {
    const c = new Client(t);
    const cm = await c.configMaps.get('x', 'default');
    assert.equal(cm.metadata?.name, 'x');
    const last = seen.at(-1)!;
    assert.equal(last.headers.authorization, 'Bearer t0ken');
    assert.equal(last.headers['user-agent'], 'skiff-test');
    assert.equal(last.headers.accept, 'application/json');

    const created = await c.configMaps.create({ metadata: { name: 'y', namespace: 'default' }, data: { a: 'ü' } });
    assert.deepEqual(created, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y', namespace: 'default' }, data: { a: 'ü' } });
    assert.equal(seen.at(-1)!.headers['content-type'], 'application/json');

    await c.configMaps.patch('x', { data: { a: 'b' } }, 'merge', { namespace: 'default' });
    assert.equal(seen.at(-1)!.headers['content-type'], 'application/merge-patch+json');
    assert.equal(seen.at(-1)!.body, '{"data":{"a":"b"}}');

    assert.equal(await t.request({ method: 'GET', path: '/readyz' }), 'ok');
  } finally {
    t.close();
  }
});

test('non-2xx answers become ApiError, with a reason even without a Status body', async () => {
  const t = transport();
  try {
    await assert.rejects(t.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/missing' }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 404);
      assert.equal(e.reason, 'NotFound');
      assert.match(e.message, /"missing" not found/);
      return true;
    });
    await assert.rejects(t.request({ method: 'GET', path: '/plain-error' }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 500);
      assert.equal(e.reason, 'InternalError');
      assert.equal(e.message, 'something broke');
      return true;
    });
  } finally {
    t.close();
  }
});

test('429 with Retry-After is retried; without it, it is an error', async () => {
  const t = transport();
  try {
    assert.deepEqual(await t.request({ method: 'GET', path: '/busy' }), { ok: true, attempts: 3 });
    await assert.rejects(t.request({ method: 'GET', path: '/busy-no-header' }), (e: unknown) => e instanceof ApiError && e.code === 429);
  } finally {
    t.close();
  }
});

test('watch: events cut into odd-sized chunks arrive whole and in order; onClose once, no error', async () => {
  const t = transport();
  try {
    const got: ClientWatchEvent[] = [];
    const closes: (Error | undefined)[] = [];
    t.watch(
      '/api/v1/namespaces/default/configmaps',
      { resourceVersion: '4' },
      {
        onEvent: (e) => got.push(e),
        onClose: (err) => closes.push(err),
      },
    );
    await until(() => closes.length > 0, 5000, 'watch end');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(got, events);
    assert.deepEqual(closes, [undefined]);
    const q = new URL(seen.at(-1)!.url, base).searchParams;
    assert.equal(q.get('watch'), '1');
    assert.equal(q.get('resourceVersion'), '4');
  } finally {
    t.close();
  }
});

test('watch: 410 answer, broken stream and a 429 before the stream', async () => {
  const t = transport();
  try {
    const closeOf = async (ns: string) => {
      const got: ClientWatchEvent[] = [];
      const closes: (Error | undefined)[] = [];
      t.watch(`/api/v1/namespaces/${ns}/configmaps`, {}, { onEvent: (e) => got.push(e), onClose: (e) => closes.push(e) });
      await until(() => closes.length > 0, 5000, `close of ${ns}`);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(closes.length, 1, 'onClose exactly once');
      return { got, err: closes[0] };
    };
    const gone = await closeOf('gone');
    assert.ok(gone.err instanceof ApiError && gone.err.code === 410 && gone.err.reason === 'Expired');
    const broken = await closeOf('broken');
    assert.equal(broken.got.length, 1);
    assert.ok(broken.err instanceof Error, 'a cut stream is an error');
    const busy = await closeOf('busy');
    assert.equal(busy.got.length, 1);
    assert.equal(busy.err, undefined);
  } finally {
    t.close();
  }
});

test('watch: stop() ends the stream quietly', async () => {
  const t = transport();
  try {
    let n = 0;
    let closed = false;
    const w = t.watch(
      '/api/v1/namespaces/endless/configmaps',
      {},
      {
        onEvent: () => {
          if (++n === 3) w.stop();
        },
        onClose: () => (closed = true),
      },
    );
    await until(() => endlessClosed, 5000, 'server sees the connection go');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(n, 3, 'no events after stop');
    assert.equal(closed, false, 'no onClose after stop');
  } finally {
    t.close();
  }
});

test('TLS: an unknown server certificate is refused unless verification is skipped', async () => {
  const [otherCa] = selfSigned('other', '/CN=other');
  const strict = transport({ ca: otherCa });
  const lax = transport({ ca: otherCa, insecureSkipTLSVerify: true });
  try {
    await assert.rejects(strict.request({ method: 'GET', path: '/readyz' }), (e: unknown) => !(e instanceof ApiError));
    assert.equal(await lax.request({ method: 'GET', path: '/readyz' }), 'ok');
  } finally {
    strict.close();
    lax.close();
  }
});

test('fromKubeconfig: inline data, file paths, client certificates and token', async () => {
  const b64 = (b: Buffer) => b.toString('base64');
  writeFileSync(join(dir, 'ca.pem'), serverCert);
  writeFileSync(join(dir, 'token'), 'file-token\n');
  const kubeconfig = `apiVersion: v1
kind: Config
current-context: inline
clusters:
- name: c1
  cluster: { server: "${base}", certificate-authority-data: ${b64(serverCert)} }
- name: c2
  cluster: { server: "${base}", certificate-authority: ca.pem }
users:
- name: alice
  user: { client-certificate-data: ${b64(clientCert)}, client-key-data: ${b64(clientKey)} }
- name: bot
  user: { tokenFile: token }
contexts:
- name: inline
  context: { cluster: c1, user: alice, namespace: team }
- name: files
  context: { cluster: c2, user: bot }
`;
  const path = join(dir, 'kubeconfig.yaml');
  writeFileSync(path, kubeconfig);
  const a = HttpsTransport.fromKubeconfig(path);
  const b = HttpsTransport.fromKubeconfig(path, 'files');
  try {
    await a.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/x' });
    assert.equal(seen.at(-1)!.peerCN, 'alice');
    assert.equal(seen.at(-1)!.headers.authorization, undefined);
    await b.request({ method: 'GET', path: '/api/v1/namespaces/default/configmaps/x' });
    assert.equal(seen.at(-1)!.headers.authorization, 'Bearer file-token');
    assert.throws(() => HttpsTransport.fromKubeconfig(path, 'nope'), /no context named "nope"/);
  } finally {
    a.close();
    b.close();
  }
});
