// Long-lived connections through the built-in ingress against a real `skiff server`
// (test/helpers/ingress-fixture.ts): WebSocket upgrades over HTTP and TLS (rewrite-target
// applies to them), counted as connections in the metrics and logged when they close;
// least-requests balancing by annotation; one access log line and metrics per request.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import {
  backendOf,
  client,
  get,
  httpPort,
  httpsPort,
  ingress,
  metricsPort,
  rule,
  s,
  scrape,
  startIngressFixture,
  stopIngressFixture,
} from '../helpers/ingress-fixture.js';
import { eventually } from '../helpers/wait.js';

before(async () => {
  await startIngressFixture();
  await client.ingresses.create(ingress('rewrite', { rules: [rule('rewrite.test', [['/api', 'Prefix', 'svc-b', 8000]])] }, { 'skiff.io/rewrite-target': '/' }));
  await eventually('the rewrite route', 10_000, async () => ((await get('rewrite.test', '/api/x')).status === 200 ? true : undefined), s.logs);
});
after(stopIngressFixture);

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
