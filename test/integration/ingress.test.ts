// The built-in ingress against a real `skiff server`: tiny HTTP backends on loopback are the
// endpoints of selector-less Services (EndpointSlices written by the test). The API refuses
// loopback IPs in EndpointSlices (as Kubernetes does), so the slices are of addressType FQDN
// naming `<backend>.localhost` (loopback by RFC 6761), one slice per backend, each with the backend's own port. Requests reach each
// backend by host and path, SNI picks the Secret's certificate (the default one for unknown
// names), HTTP/2 is negotiated, HTTP redirects to HTTPS, WebSocket echoes, the affinity cookie
// pins and fails over, missing Services answer 503 with an Event, malformed requests are
// refused, and endpoint changes during a bounded load loop fail no request.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { selfSignedServingCert } from '../../src/util/pki.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

interface Backend {
  name: string;
  port: number;
  server: http.Server;
}
const backends: Backend[] = [];
let s: TestServer;
let client: Client;
let httpPort = 0;
let httpsPort = 0;
let metricsPort = 0;

async function backend(name: string): Promise<Backend> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ backend: name, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
    });
  });
  const wss = new WebSocketServer({ server });
  // "path?" asks for the path the upgrade request arrived with (rewrite-target applies to upgrades too).
  wss.on('connection', (ws, req) => ws.on('message', (m) => ws.send(`${name}:${String(m) === 'path?' ? req.url : m}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const b = { name, port: (server.address() as net.AddressInfo).port, server };
  backends.push(b);
  return b;
}

const svc = (name: string, ports: { name: string; port: number }[]) =>
  client.services.create({
    metadata: { name, namespace: 'default' },
    spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
  });

/** One slice per backend, each with its own port (the backends listen on random ports). */
async function setEndpoints(service: string, portName: string, bs: Backend[]): Promise<void> {
  const existing = (await client.endpointSlices.list({ namespace: 'default', labelSelector: `kubernetes.io/service-name=${service}` })).items;
  const want = new Set(bs.map((b) => `${service}-${b.name}`));
  for (const b of bs) {
    const name = `${service}-${b.name}`;
    if (existing.some((e) => e.metadata?.name === name)) continue;
    await client.endpointSlices.create({
      metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
      addressType: 'FQDN',
      ports: [{ name: portName, port: b.port, protocol: 'TCP' }],
      endpoints: [{ addresses: [`${b.name}.localhost`], conditions: { ready: true } }],
    });
  }
  for (const e of existing) if (!want.has(e.metadata!.name!)) await client.endpointSlices.delete(e.metadata!.name!, { namespace: 'default' });
}

function get(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: httpPort, path, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`request to ${host}${path} timed out`)));
  });
}

const backendOf = (r: { body: string }) => (JSON.parse(r.body) as { backend: string }).backend;

const ingress = (name: string, spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'default', annotations },
  spec,
});
const rule = (host: string, paths: [string, string, string, number | string][]) => ({
  host,
  http: {
    paths: paths.map(([path, pathType, name, port]) => ({
      path,
      pathType,
      backend: { service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } },
    })),
  },
});

before(async () => {
  s = await startServer({ args: ['--ingress-http-port', '0', '--ingress-https-port', '0'] });
  const m = /"msg":"ingress controller listening".*?"listening":(\[[^\]]*\])/.exec(s.logs());
  assert.ok(m, `no listening line in the logs:\n${s.logs().slice(-3000)}`);
  const listening = JSON.parse(m[1]!) as { proto: string; port: number }[];
  httpPort = listening.find((l) => l.proto === 'http')!.port;
  httpsPort = listening.find((l) => l.proto === 'https')!.port;
  metricsPort = Number(/"msg":"ingress controller listening".*?"metricsPort":(\d+)/.exec(s.logs())?.[1]);
  client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
  const [a1, a2, b1] = [await backend('a1'), await backend('a2'), await backend('b1')];
  await svc('svc-a', [{ name: 'http', port: 80 }]);
  await svc('svc-b', [{ name: 'web', port: 8000 }]);
  await setEndpoints('svc-a', 'http', [a1!, a2!]);
  await setEndpoints('svc-b', 'web', [b1!]);
  const cert = await selfSignedServingCert('secure.test', { hostnames: ['secure.test'] });
  await client.secrets.create({
    metadata: { name: 'secure-cert', namespace: 'default' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(cert.cert).toString('base64'), 'tls.key': Buffer.from(cert.key).toString('base64') },
  });
  await client.ingresses.create(
    ingress('web', {
      tls: [
        { hosts: ['secure.test'], secretName: 'secure-cert' },
        { hosts: ['broken.test'], secretName: 'no-such-secret' },
      ],
      rules: [
        rule('a.test', [['/', 'Prefix', 'svc-a', 80]]),
        rule('b.test', [
          ['/api', 'Prefix', 'svc-b', 'web'],
          ['/exact', 'Exact', 'svc-a', 'http'],
        ]),
        rule('*.wild.test', [['/', 'ImplementationSpecific', 'svc-b', 8000]]),
        rule('secure.test', [['/', 'Prefix', 'svc-b', 8000]]),
        rule('missing.test', [['/', 'Prefix', 'svc-missing', 80]]),
      ],
    }),
  );
  await eventually('the ingress to route a.test', 15_000, async () => ((await get('a.test', '/')).status === 200 ? true : undefined), s.logs);
});

after(async () => {
  client?.close();
  for (const b of backends) b.server.closeAllConnections?.();
  await Promise.all(backends.map((b) => new Promise((r) => b.server.close(r))));
  await s?.cleanup();
});

test('the server creates the default IngressClass skiff', async () => {
  const r = await s.kubectl(['get', 'ingressclass', 'skiff', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const ic = JSON.parse(r.stdout);
  assert.equal(ic.spec.controller, 'skiff.io/ingress');
  assert.equal(ic.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
});

test('requests reach each backend by host and path, round robin, with X-Forwarded-* and X-Request-ID', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add(backendOf(await get('a.test', '/x')));
  assert.deepEqual([...seen].sort(), ['a1', 'a2']);
  const b = await get('b.test', '/api/v1?q=1', { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(backendOf(b), 'b1');
  const echoed = JSON.parse(b.body);
  assert.equal(echoed.path, '/api/v1?q=1');
  assert.equal(echoed.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(echoed.headers['x-forwarded-proto'], 'http');
  assert.equal(echoed.headers['x-forwarded-host'], 'b.test');
  assert.match(echoed.headers['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(echoed.headers.host, 'b.test');
  assert.equal((await get('b.test', '/apix')).status, 404);
  assert.match(backendOf(await get('b.test', '/exact')), /^a[12]$/);
  assert.equal((await get('b.test', '/exact/more')).status, 404);
  assert.equal(backendOf(await get('x.wild.test', '/')), 'b1');
  assert.equal((await get('y.x.wild.test', '/')).status, 404);
});

test('a missing Service answers 503 with a clear body and a Warning Event on the Ingress', async () => {
  const r = await get('missing.test', '/');
  assert.equal(r.status, 503);
  assert.match(r.body, /Service default\/svc-missing does not exist/);
  await eventually(
    'the ServiceNotFound and InvalidTLSSecret events',
    10_000,
    async () => {
      const evs = (await client.events.list({ namespace: 'default' })).items.filter((e) => e.involvedObject?.name === 'web');
      const reasons = new Set(evs.map((e) => e.reason));
      return reasons.has('ServiceNotFound') && reasons.has('InvalidTLSSecret') ? true : undefined;
    },
    s.logs,
  );
});

test('status.loadBalancer.ingress names the node address', async () => {
  await eventually(
    'the ingress status',
    10_000,
    async () => {
      const ing = await client.ingresses.get('web', 'default');
      return ing.status?.loadBalancer?.ingress?.some((e) => e.ip === '127.0.0.1') ? true : undefined;
    },
    s.logs,
  );
});

function peerCert(servername: string): Promise<{ cn: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: httpsPort, servername, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const raw = sock.getPeerX509Certificate() as X509Certificate;
      resolve({ cn: /CN=([^\n,]+)/.exec(raw.subject)?.[1] ?? '', alpn: sock.alpnProtocol ?? false });
      sock.end();
    });
    sock.on('error', reject);
  });
}

test("TLS: SNI picks the Secret's certificate, unknown and broken names get the default, ALPN offers h2", async () => {
  assert.deepEqual(await peerCert('secure.test'), { cn: 'secure.test', alpn: 'h2' });
  assert.equal((await peerCert('unknown.test')).cn, 'skiff-ingress-default');
  assert.equal((await peerCert('broken.test')).cn, 'skiff-ingress-default');
});

test('a Secret update is served on the next handshake, without restarting anything', async () => {
  const before = (await peerCert('secure.test')).cn;
  assert.equal(before, 'secure.test');
  const renewed = await selfSignedServingCert('secure.test-renewed', { hostnames: ['secure.test'] });
  const cur = await client.secrets.get('secure-cert', 'default');
  await client.secrets.update({
    ...cur,
    data: { 'tls.crt': Buffer.from(renewed.cert).toString('base64'), 'tls.key': Buffer.from(renewed.key).toString('base64') },
  });
  await eventually('the renewed certificate', 10_000, async () => ((await peerCert('secure.test')).cn === 'secure.test-renewed' ? true : undefined), s.logs);
});

test('HTTP/2 over TLS reaches the backend with X-Forwarded-Proto https', async () => {
  const session = http2.connect(`https://127.0.0.1:${httpsPort}`, { servername: 'secure.test', rejectUnauthorized: false });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/h2', ':authority': 'secure.test' });
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
      req.on('error', reject);
      req.end();
    });
    const echoed = JSON.parse(body);
    assert.equal(echoed.backend, 'b1');
    assert.equal(echoed.headers['x-forwarded-proto'], 'https');
    assert.equal(echoed.headers.host, 'secure.test');
  } finally {
    session.close();
  }
});

test('plain HTTP to a TLS host redirects to HTTPS; the annotation turns it off', async () => {
  const r = await get('secure.test', '/p?q=1');
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://secure.test:${httpsPort}/p?q=1`);
  const cur = await client.ingresses.get('web', 'default');
  await client.ingresses.update({ ...cur, metadata: { ...cur.metadata, annotations: { 'skiff.io/ssl-redirect': 'false' } } });
  await eventually('the redirect to be off', 10_000, async () => ((await get('secure.test', '/p')).status === 200 ? true : undefined), s.logs);
});

test('Ingresses of another class are left alone; a conflicting rule loses to the older Ingress with an Event', async () => {
  await client.ingresses.create({
    ...ingress('other-class', { rules: [rule('other.test', [['/', 'Prefix', 'svc-b', 8000]])] }),
    spec: { ingressClassName: 'nginx', rules: [rule('other.test', [['/', 'Prefix', 'svc-b', 8000]])] },
  });
  await client.ingresses.create(
    ingress('late', { rules: [rule('a.test', [['/', 'Prefix', 'svc-b', 8000]]), rule('late.test', [['/', 'Prefix', 'svc-b', 8000]])] }),
  );
  await eventually("the late Ingress's own host", 10_000, async () => ((await get('late.test', '/')).status === 200 ? true : undefined), s.logs);
  assert.equal((await get('other.test', '/')).status, 404);
  assert.match(backendOf(await get('a.test', '/')), /^a[123]$/);
  const ev = await eventually(
    'the RuleConflict event',
    10_000,
    async () => (await client.events.list({ namespace: 'default' })).items.find((e) => e.involvedObject?.name === 'late' && e.reason === 'RuleConflict'),
    s.logs,
  );
  assert.match(ev.message!, /default\/late .*older Ingress default\/web/);
  const other = await client.ingresses.get('other-class', 'default');
  assert.equal(other.status?.loadBalancer?.ingress, undefined);
});

test('rewrite-target replaces the matched prefix before the request goes upstream', async () => {
  await client.ingresses.create(ingress('rewrite', { rules: [rule('rewrite.test', [['/api', 'Prefix', 'svc-b', 8000]])] }, { 'skiff.io/rewrite-target': '/' }));
  const r = await eventually(
    'the rewrite route',
    10_000,
    async () => {
      const res = await get('rewrite.test', '/api/v1?q=1');
      return res.status === 200 ? res : undefined;
    },
    s.logs,
  );
  assert.equal(JSON.parse(r.body).path, '/v1?q=1');
});

function scrape(): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: metricsPort, path: '/metrics', agent: false }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
}

/** Opens a WebSocket through the ingress, sends one message, returns the reply and closes (waiting for the close). */
async function wsAsk(url: string, host: string, msg: string, opts: WebSocket.ClientOptions = {}): Promise<string> {
  const ws = new WebSocket(url, { headers: { host }, ...opts });
  const reply = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => ws.send(msg));
    ws.on('message', (m) => resolve(String(m)));
    ws.on('error', reject);
  });
  await new Promise((r) => {
    ws.once('close', r);
    ws.close();
  });
  return reply;
}

test('WebSocket upgrade is proxied and echoes; it counts as a connection in the metrics and access log', async () => {
  const reply = await wsAsk(`ws://127.0.0.1:${httpPort}/api/ws`, 'b.test', 'hello');
  assert.equal(reply, 'b1:hello');
  const line = await eventually(
    'the WebSocket access line, written when it closes',
    5_000,
    async () =>
      s
        .logs()
        .split('\n')
        .filter((l) => l.includes('"msg":"access"') && l.includes('"kind":"websocket"') && l.includes('"path":"/api/ws"'))
        .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>)[0],
    s.logs,
  );
  assert.equal(line.status, 101);
  assert.equal(line.ingress, 'default/web');
  assert.equal(line.host, 'b.test');
  assert.match(String(line.upstream), /^127\.0\.0\.1:\d+$/);
  // The client's frame is masked "hello" (6 + 5 bytes) plus its close frame; the reply "b1:hello" is 10.
  assert.ok(Number(line.bytesIn) >= 11 && Number(line.bytesOut) >= 10, JSON.stringify(line));
  const text = await scrape();
  assert.match(text, /skiff_ingress_connections_total\{ingress="default\/web",service="default\/svc-b",kind="websocket"\} [1-9]/);
  assert.match(text, /skiff_ingress_requests_total\{ingress="default\/web",service="default\/svc-b",status="101"\} [1-9]/);
  assert.match(text, /skiff_ingress_connection_bytes_total\{ingress="default\/web",service="default\/svc-b",kind="websocket",direction="out"\} [1-9]/);
  await eventually(
    'no WebSocket left open',
    5_000,
    async () => (/skiff_ingress_open_connections\{kind="websocket"\} 0\n/.test(await scrape()) ? true : undefined),
    s.logs,
  );
  // Over TLS too (HTTP/1.1 by ALPN on the HTTP/2 listener).
  const secure = await wsAsk(`wss://127.0.0.1:${httpsPort}/`, 'secure.test', 'tls', {
    servername: 'secure.test',
    rejectUnauthorized: false,
  } as WebSocket.ClientOptions);
  assert.equal(secure, 'b1:tls');
  // rewrite-target applies to the upgrade request's path as to any other.
  assert.equal(await wsAsk(`ws://127.0.0.1:${httpPort}/api/ws?x=1`, 'rewrite.test', 'path?'), 'b1:/ws?x=1');
});

test('skiff.io/load-balance: least-requests sends to the endpoint with fewer requests in flight; an unknown value gets an Event', async () => {
  await client.ingresses.create(
    ingress('balanced', { rules: [rule('balanced.test', [['/', 'Prefix', 'svc-a', 80]])] }, { 'skiff.io/load-balance': 'least-requests' }),
  );
  await client.ingresses.create(
    ingress('bad-balance', { rules: [rule('badbalance.test', [['/', 'Prefix', 'svc-a', 80]])] }, { 'skiff.io/load-balance': 'random' }),
  );
  await eventually('the balanced route', 10_000, async () => ((await get('balanced.test', '/')).status === 200 ? true : undefined), s.logs);
  // A WebSocket held open counts as one request in flight on its endpoint: every plain request
  // then goes to the other endpoint, where round robin would alternate.
  const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/ws`, { headers: { host: 'balanced.test' } });
  const held = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => ws.send('x'));
    ws.on('message', (m) => resolve(String(m).split(':')[0]!));
    ws.on('error', reject);
  });
  try {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(backendOf(await get('balanced.test', `/${i}`)));
    assert.deepEqual([...seen], [held === 'a1' ? 'a2' : 'a1']);
  } finally {
    ws.close();
  }
  const ev = await eventually(
    'the InvalidAnnotation event',
    10_000,
    async () =>
      (await client.events.list({ namespace: 'default' })).items.find((e) => e.involvedObject?.name === 'bad-balance' && e.reason === 'InvalidAnnotation'),
    s.logs,
  );
  assert.match(ev.message!, /"random" is none of round-robin, least-requests, ewma/);
  // Served round robin meanwhile.
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add(backendOf(await get('badbalance.test', '/')));
  assert.deepEqual([...seen].sort(), ['a1', 'a2']);
});

test('affinity cookie pins a client to one endpoint and fails over when it goes', async () => {
  await client.ingresses.create(
    ingress(
      'sticky',
      { rules: [rule('sticky.test', [['/', 'Prefix', 'svc-a', 80]])] },
      {
        'skiff.io/affinity': 'cookie',
        'skiff.io/session-cookie-name': 'route',
        'skiff.io/session-cookie-max-age': '3600',
      },
    ),
  );
  const first = await eventually(
    'the sticky route',
    10_000,
    async () => {
      const r = await get('sticky.test', '/');
      return r.status === 200 ? r : undefined;
    },
    s.logs,
  );
  const setCookie = String(first.headers['set-cookie']);
  assert.match(setCookie, /^route=[0-9a-f]{16}; Path=\/; HttpOnly; Max-Age=3600/);
  const cookie = setCookie.split(';')[0]!;
  const pinned = backendOf(first);
  for (let i = 0; i < 6; i++) {
    const r = await get('sticky.test', '/', { cookie });
    assert.equal(backendOf(r), pinned);
    assert.equal(r.headers['set-cookie'], undefined);
  }
  const other = backends.find((b) => b.name === (pinned === 'a1' ? 'a2' : 'a1'))!;
  await setEndpoints('svc-a', 'http', [other]);
  const moved = await eventually(
    'fail-over to the other endpoint',
    10_000,
    async () => {
      const r = await get('sticky.test', '/', { cookie });
      return backendOf(r) === other.name ? r : undefined;
    },
    s.logs,
  );
  assert.match(String(moved.headers['set-cookie']), /^route=/);
  await setEndpoints(
    'svc-a',
    'http',
    backends.filter((b) => b.name.startsWith('a')),
  );
});

test('malformed requests: both Content-Length and Transfer-Encoding, invalid header bytes → 400; oversized headers → 431', async () => {
  const raw = (payload: string) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(httpPort, '127.0.0.1', () => sock.write(payload));
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('end', () => resolve(out));
      sock.on('close', () => resolve(out));
      sock.on('error', reject);
      sock.setTimeout(5000, () => sock.destroy());
    });
  const smuggle = await raw(
    'POST / HTTP/1.1\r\nHost: a.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a.test\r\n\r\n',
  );
  assert.match(smuggle, /^HTTP\/1\.1 400/);
  assert.doesNotMatch(smuggle, /"backend"/);
  const big = await raw(`GET / HTTP/1.1\r\nHost: a.test\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431/);
  // Invalid bytes: a control character in a header value, a space in a header name, a bare LF-less CR.
  for (const bad of ['X-Bad: a\x01b', 'Bad Name: x', 'X-Cr: a\rb']) {
    const out = await raw(`GET / HTTP/1.1\r\nHost: a.test\r\n${bad}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 400/, `${JSON.stringify(bad)} got ${JSON.stringify(out.slice(0, 60))}`);
    assert.doesNotMatch(out, /"backend"/);
  }
});

test('endpoints changed during a bounded load loop: zero failed requests', async () => {
  const [a1, a2] = backends.filter((b) => b.name.startsWith('a'));
  const a3 = await backend('a3');
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const worker = async () => {
    for (let i = 0; i < 400 && !stop; i++) {
      try {
        const r = await get('a.test', `/load/${i}`);
        if (r.status === 200) ok++;
        else failures.push(`${r.status} ${r.body}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  const changer = async () => {
    const sets = [[a1!, a3], [a3], [a2!, a3], [a1!, a2!]];
    for (let i = 0; i < 12; i++) {
      await setEndpoints('svc-a', 'http', sets[i % sets.length]!);
      await new Promise((r) => setTimeout(r, 150));
    }
    stop = true;
  };
  await Promise.all([worker(), worker(), worker(), changer()]);
  assert.deepEqual(failures, []);
  assert.ok(ok > 50, `only ${ok} requests completed`);
});

test('each request writes one JSON access log line and counts in the /metrics listener', async () => {
  assert.ok(metricsPort > 0, 'the listening line names the metrics port');
  const path = `/metrics-probe-${Date.now()}`;
  assert.equal((await get('a.test', path)).status, 200);
  assert.equal((await get('nothing.test', path)).status, 404);
  const lines = await eventually(
    'two access lines',
    5_000,
    async () => {
      const found = s
        .logs()
        .split('\n')
        .filter((l) => l.includes('"msg":"access"') && l.includes(path))
        .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);
      return found.length === 2 ? found : undefined;
    },
    s.logs,
  );
  const ok = lines.find((l) => l.status === 200)!;
  assert.equal(ok.ingress, 'default/web');
  assert.equal(ok.host, 'a.test');
  assert.match(String(ok.upstream), /^127\.0\.0\.1:\d+$/);
  assert.equal(typeof ok.duration, 'number');
  assert.ok(!Number.isNaN(Date.parse(String(ok.time))));
  assert.equal(lines.find((l) => l.status === 404)?.host, 'nothing.test');
  const text = await scrape();
  const count = /skiff_ingress_requests_total\{ingress="default\/web",service="default\/svc-a",status="200"\} (\d+)/.exec(text);
  assert.ok(count && Number(count[1]) >= 1, text.slice(0, 2000));
  assert.match(text, /skiff_ingress_requests_total\{ingress="",service="",status="404"\} [1-9]/);
  const hist = /skiff_ingress_upstream_latency_seconds_count\{ingress="default\/web",service="default\/svc-a"\} (\d+)/.exec(text);
  assert.ok(hist && Number(hist[1]) >= 1);
});
