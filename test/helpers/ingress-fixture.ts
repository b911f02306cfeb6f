// The built-in ingress against a real `skiff server`, shared by the ingress integration
// tests: tiny HTTP (and WebSocket) backends on loopback are the endpoints of selector-less
// Services (EndpointSlices written by the test). The API refuses loopback IPs in
// EndpointSlices (as Kubernetes does), so the slices are of addressType FQDN naming
// `<backend>.localhost` (loopback by RFC 6761), one slice per backend, each with the
// backend's own port. The server, its ports and client are live bindings set by
// startIngressFixture.
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { WebSocketServer } from 'ws';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { selfSignedServingCert } from '../../src/util/x509-jobs.js';
import { startServer, type TestServer } from './server.js';
import { scrapeText } from './prom-text.js';
import { eventually } from './wait.js';

export interface Backend {
  name: string;
  port: number;
  server: http.Server;
}
export const backends: Backend[] = [];
export let s: TestServer;
export let client: Client;
export let httpPort = 0;
export let httpsPort = 0;
export let metricsPort = 0;

export async function backend(name: string): Promise<Backend> {
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

export const svc = (name: string, ports: { name: string; port: number }[]) =>
  client.services.create({
    metadata: { name, namespace: 'default' },
    spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
  });

/** One slice per backend, each with its own port (the backends listen on random ports). */
export async function setEndpoints(service: string, portName: string, bs: Backend[]): Promise<void> {
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

export function get(
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
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

export const backendOf = (r: { body: string }) => (JSON.parse(r.body) as { backend: string }).backend;

export const ingress = (name: string, spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'default', annotations },
  spec,
});
export const rule = (host: string, paths: [string, string, string, number | string][]) => ({
  host,
  http: {
    paths: paths.map(([path, pathType, name, port]) => ({
      path,
      pathType,
      backend: { service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } },
    })),
  },
});

/** A server with its ingress on free ports; svc-a (a1, a2), svc-b (b1); Ingress "web" with hosts a.test, b.test, *.wild.test, secure.test (TLS), missing.test. */
export async function startIngressFixture(): Promise<void> {
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
}

export async function stopIngressFixture(): Promise<void> {
  client?.close();
  for (const b of backends) b.server.closeAllConnections?.();
  await Promise.all(backends.map((b) => new Promise((r) => b.server.close(r))));
  await s?.cleanup();
}

/** The ingress's /metrics text. */
export function scrape(): Promise<string> {
  return scrapeText(metricsPort);
}
