// The ingress beyond HTTP against a real `skiff server`: TCP and UDP ports from the
// kube-system/skiff-ingress-tcp/-udp ConfigMaps (applied live), with tiny loopback backends
// as the FQDN endpoints (`<name>.localhost`) of selector-less Services.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { selfSignedServingCert } from '../../src/util/x509-jobs.js';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { scrapeText } from '../helpers/prom-text.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

let s: TestServer;
let client: Client;
let httpsPort = 0;
let httpPort = 0;
let metricsPort = 0;
const closers: (() => void)[] = [];

async function tcpBackend(name: string): Promise<number> {
  const server = net.createServer((c) => {
    c.on('data', (d) => c.write(`${name}:${d}`));
    c.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

async function udpBackend(name: string): Promise<number> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, r) => sock.send(`${name}:${m}`, r.port, r.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  closers.push(() => sock.close());
  return sock.address().port;
}

/** A port free on 127.0.0.1 for both TCP and UDP right now. */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const u = dgram.createSocket('udp4');
    const ok = await new Promise<boolean>((r) => {
      u.once('error', () => r(false));
      u.bind(port, '127.0.0.1', () => r(true));
    });
    u.close();
    if (ok) return port;
  }
  throw new Error('no free port');
}

async function slice(service: string, name: string, protocol: 'TCP' | 'UDP', portName: string, port: number): Promise<void> {
  await client.endpointSlices.create({
    metadata: { name: `${service}-${name}`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'FQDN',
    ports: [{ name: portName, port, protocol }],
    endpoints: [{ addresses: [`${name}.localhost`], conditions: { ready: true } }],
  });
}

function tcpAsk(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => c.write(msg));
    c.once('data', (d) => {
      resolve(String(d));
      c.destroy();
    });
    c.on('error', reject);
    c.setTimeout(5_000, () => c.destroy(new Error('no answer')));
  });
}

function httpGet(host: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: httpPort, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error('timed out')));
  });
}

function udpAsk(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      u.close();
      reject(new Error('no UDP answer'));
    }, 2_000);
    u.on('message', (m) => {
      clearTimeout(t);
      u.close();
      resolve(String(m));
    });
    u.send(msg, port, '127.0.0.1');
  });
}

before(async () => {
  s = await startServer({ args: ['--ingress-http-port', '0', '--ingress-https-port', '0'] });
  client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
  const m = /"msg":"ingress controller listening".*?"listening":(\[[^\]]*\])/.exec(s.logs());
  assert.ok(m, 'no listening line in the logs');
  const listening = JSON.parse(m[1]!) as { proto: string; port: number }[];
  httpsPort = listening.find((l) => l.proto === 'https')!.port;
  httpPort = listening.find((l) => l.proto === 'http')!.port;
  metricsPort = Number(/"msg":"ingress controller listening".*?"metricsPort":(\d+)/.exec(s.logs())?.[1]);
});

const scrape = (): Promise<string> => scrapeText(metricsPort);

/** The access log lines of closed connections of one kind. */
function connectionLines(kind: string): Record<string, unknown>[] {
  return s
    .logs()
    .split('\n')
    .filter((l) => l.includes('"msg":"access"') && l.includes(`"kind":"${kind}"`))
    .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>);
}

after(async () => {
  client?.close();
  for (const c of closers) c();
  await s?.cleanup();
});

test('TCP and UDP services on node ports from the ingress ConfigMaps, round robin, applied live', async () => {
  await client.services.create({
    metadata: { name: 'l4', namespace: 'default' },
    spec: {
      ports: [
        { name: 'echo', port: 7000, protocol: 'TCP' },
        { name: 'dgram', port: 7001, protocol: 'UDP' },
      ],
    },
  });
  await slice('l4', 't1', 'TCP', 'echo', await tcpBackend('t1'));
  await slice('l4', 't2', 'TCP', 'echo', await tcpBackend('t2'));
  await slice('l4', 'u1', 'UDP', 'dgram', await udpBackend('u1'));
  const port = await freePort();
  await client.configMaps.create({ metadata: { name: 'skiff-ingress-tcp', namespace: 'kube-system' }, data: { [port]: 'default/l4:7000', bad: 'x' } });
  await client.configMaps.create({ metadata: { name: 'skiff-ingress-udp', namespace: 'kube-system' }, data: { [port]: 'default/l4:dgram' } });
  await eventually('the TCP port', 10_000, async () => (await tcpAsk(port, 'hi').catch(() => undefined))?.endsWith(':hi') || undefined, s.logs);
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await tcpAsk(port, 'x')).split(':')[0]!);
  assert.deepEqual([...seen].sort(), ['t1', 't2']);
  // Each TCP connection is counted and logged when it closes, with its bytes.
  const tcpLines = await eventually(
    'five TCP access lines',
    5_000,
    async () => (connectionLines('tcp').length >= 5 ? connectionLines('tcp') : undefined),
    s.logs,
  );
  assert.ok(
    tcpLines.every((l) => l.path === String(port) && /^127\.0\.0\.1:\d+$/.test(String(l.upstream)) && Number(l.bytesIn) >= 1 && Number(l.bytesOut) >= 3),
    JSON.stringify(tcpLines),
  );
  const tcpCount = /skiff_ingress_connections_total\{ingress="",service="default\/l4",kind="tcp"\} (\d+)/.exec(await scrape());
  assert.ok(tcpCount && Number(tcpCount[1]) >= 5, `TCP connections counted: ${tcpCount?.[1]}`);
  assert.equal(await eventually('the UDP port', 10_000, async () => udpAsk(port, 'ping').catch(() => undefined), s.logs), 'u1:ping');
  // Each client flow counts as a UDP connection, open until it has been idle for 30 s.
  const udpText = await scrape();
  assert.match(udpText, /skiff_ingress_connections_total\{ingress="",service="default\/l4",kind="udp"\} [1-9]/);
  assert.match(udpText, /skiff_ingress_open_connections\{kind="udp"\} [1-9]/);
  await eventually(
    'an InvalidEntry Event on the ConfigMap',
    10_000,
    async () =>
      (await client.events.list({ namespace: 'kube-system' })).items.some((e) => e.reason === 'InvalidEntry' && e.involvedObject?.name === 'skiff-ingress-tcp')
        ? true
        : undefined,
    s.logs,
  );
  // Removing the entry closes the port.
  const cm = await client.configMaps.get('skiff-ingress-tcp', 'kube-system');
  await client.configMaps.update({ ...cm, data: {} });
  await eventually(
    'the TCP port closed',
    10_000,
    async () =>
      (await tcpAsk(port, 'x').then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    s.logs,
  );
});

function tlsHello(servername: string, msg: string): Promise<{ cn: string; reply: string }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: httpsPort, servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
      const cn = /CN=([^\n,]+)/.exec((sock.getPeerX509Certificate() as X509Certificate).subject)?.[1] ?? '';
      sock.write(msg);
      sock.once('data', (d) => {
        resolve({ cn, reply: String(d) });
        sock.end();
      });
    });
    sock.on('error', reject);
    sock.setTimeout(5_000, () => sock.destroy(new Error('no TLS answer')));
  });
}

test('TLS passthrough by SNI: the backend terminates TLS with its own certificate; other names stay on the ingress', async () => {
  const cert = await selfSignedServingCert('pass.test', { hostnames: ['pass.test'] });
  const backend = tls.createServer({ cert: cert.cert, key: cert.key }, (c) => {
    c.on('data', (d) => c.write(`tls-backend:${d}`));
    c.on('error', () => {});
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  closers.push(() => backend.close());
  await client.services.create({ metadata: { name: 'pass', namespace: 'default' }, spec: { ports: [{ name: 'tls', port: 443, protocol: 'TCP' }] } });
  await slice('pass', 'p1', 'TCP', 'tls', (backend.address() as net.AddressInfo).port);
  await client.ingresses.create({
    metadata: { name: 'pass', namespace: 'default', annotations: { 'skiff.io/ssl-passthrough': 'true' } },
    spec: {
      rules: [{ host: 'pass.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'pass', port: { number: 443 } } } }] } }],
    },
  });
  const r = await eventually(
    'the passthrough route',
    10_000,
    async () => {
      const x = await tlsHello('pass.test', 'hello').catch(() => undefined);
      return x?.cn === 'pass.test' ? x : undefined;
    },
    s.logs,
  );
  assert.equal(r.reply, 'tls-backend:hello');
  // Passthrough connections are counted and logged (name from SNI, bytes both ways) when they close.
  const line = await eventually('the passthrough access line', 5_000, async () => connectionLines('passthrough')[0], s.logs);
  assert.equal(line.ingress, 'default/pass');
  assert.equal(line.host, 'pass.test');
  // At least the ClientHello in, the server's handshake (with its certificate) out.
  assert.ok(Number(line.bytesIn) > 100 && Number(line.bytesOut) > 300, JSON.stringify(line));
  const text = await scrape();
  assert.match(text, /skiff_ingress_connections_total\{ingress="default\/pass",service="default\/pass",kind="passthrough"\} [1-9]/);
  assert.match(text, /skiff_ingress_connection_bytes_total\{ingress="default\/pass",service="default\/pass",kind="passthrough",direction="in"\} [1-9]/);
  assert.match(text, /skiff_ingress_open_connections\{kind="passthrough"\} 0\n/);
  // A name without passthrough is terminated by the ingress (its default certificate).
  assert.equal((await tlsHello('other.test', 'GET / HTTP/1.1\r\nHost: other.test\r\n\r\n')).cn, 'skiff-ingress-default');
});

test('active health checks by annotation take a failing endpoint out of rotation and bring it back', async () => {
  const healthy = new Map<string, boolean>([
    ['h1', true],
    ['h2', false],
  ]);
  const ports = new Map<string, number>();
  for (const name of healthy.keys()) {
    const server = http.createServer((req, res) => {
      if (req.url === '/healthz') res.writeHead(healthy.get(name) ? 200 : 500).end();
      else res.end(name);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => {
      server.closeAllConnections();
      server.close();
    });
    ports.set(name, (server.address() as net.AddressInfo).port);
  }
  await client.services.create({ metadata: { name: 'hc', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  for (const [name, port] of ports) await slice('hc', name, 'TCP', 'http', port);
  await client.ingresses.create({
    metadata: { name: 'hc', namespace: 'default', annotations: { 'skiff.io/health-check-path': '/healthz', 'skiff.io/health-check-interval': '500ms' } },
    spec: { rules: [{ host: 'hc.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hc', port: { number: 80 } } } }] } }] },
  });
  const spread = async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(await httpGet('hc.test', '/'));
    return [...seen].sort().join(',');
  };
  // Both endpoints are ready in their slices; only the one passing its check gets requests.
  await eventually('only h1 in rotation', 10_000, async () => ((await spread().catch(() => '')) === 'h1' ? true : undefined), s.logs);
  for (let i = 0; i < 3; i++) assert.equal(await spread(), 'h1');
  healthy.set('h2', true);
  await eventually('h2 back in rotation', 10_000, async () => ((await spread()) === 'h1,h2' ? true : undefined), s.logs);
});
