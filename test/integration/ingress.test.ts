// The built-in ingress against a real `skiff server` (test/helpers/ingress-fixture.ts):
// requests reach each backend by host and path, SNI picks the Secret's certificate (the
// default one for unknown names), HTTP/2 is negotiated, HTTP redirects to HTTPS, the affinity
// cookie pins and fails over, missing Services answer 503 with an Event, malformed requests
// are refused, and endpoint changes during a bounded load loop fail no request.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { selfSignedServingCert } from '../../src/util/x509-jobs.js';
import {
  backend,
  backendOf,
  backends,
  client,
  get,
  httpsPort,
  httpPort,
  ingress,
  rule,
  s,
  setEndpoints,
  startIngressFixture,
  stopIngressFixture,
} from '../helpers/ingress-fixture.js';
import { eventually } from '../helpers/wait.js';

before(startIngressFixture);
after(stopIngressFixture);

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

test('HTTP/2 over TLS reaches the backend with X-Forwarded-Proto https; a request body without length arrives whole', async () => {
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
    // A body on an HTTP/2 stream has no Content-Length here: it goes upstream chunked, whole.
    const posted = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/h2-post', ':authority': 'secure.test' });
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => resolve(data));
      req.on('error', reject);
      req.write('first part, ');
      setTimeout(() => req.end('second part'), 20);
    });
    const echoedPost = JSON.parse(posted);
    assert.equal(echoedPost.body, 'first part, second part');
    assert.equal(echoedPost.headers['transfer-encoding'], 'chunked');
    assert.equal(echoedPost.path, '/h2-post');
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

/** Opens a WebSocket through the ingress, sends one message, returns the reply and closes (waiting for the close). */
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
