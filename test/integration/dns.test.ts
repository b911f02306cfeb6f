// Cluster DNS in a real `skiff server` (simulated node on this host, DNS on a loopback
// port): the kube-dns Service, Services resolvable within a second of their creation
// and gone within a second of their deletion, a StatefulSet pod's name through its
// headless Service, the skiff-dns ConfigMap's stub domains applied without a restart,
// and a node's kube-dns EndpointSlice going with its Node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { registerNodeEndpoint } from '../../src/dns/kube-dns.js';
import { ask, freePort, startTestUpstream, type TestUpstream } from '../helpers/dns.js';
import { kubectlOk, startServer, type TestServer } from '../helpers/server.js';
import { eventually, sleep } from '../helpers/wait.js';

const HOST = '127.0.0.1';
const quiet = {
  info() {},
  warn() {},
  error() {},
  child() {
    return quiet;
  },
};

/** Polls (every 10 ms, at most `ms`) until `ok` holds for the answer; the time it took. */
async function timeUntil(ms: number, port: number, name: string, ok: (r: { rcode: string; data: unknown[] } | undefined) => boolean): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (ok(await ask(HOST, port, name, 'A', 200))) return Date.now() - t0;
    await sleep(10);
  }
  return Infinity;
}

describe('cluster DNS in a skiff server', () => {
  let s: TestServer;
  let port: number;
  let stub: TestUpstream;
  let dir: string;
  const kubectl = kubectlOk(() => s);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
    // No nameserver in the node's resolv.conf: nothing leaves this machine.
    writeFileSync(join(dir, 'resolv.conf'), '# test: no upstream\n');
    stub = await startTestUpstream({ host: HOST, domain: 'acme.local', address: '192.0.2.99' });
    port = await freePort(HOST);
    s = await startServer({ agent: true, args: ['--cluster-dns-port', String(port), '--resolv-conf', join(dir, 'resolv.conf')] });
    await eventually(
      'the DNS answers',
      10_000,
      async () => ((await ask(HOST, port, 'kubernetes.default.svc.cluster.local'))?.data.length ? true : undefined),
      s.logs,
    );
  });
  after(async () => {
    await s?.cleanup();
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the kube-dns Service: cluster IP 10.43.0.10, dns/dns-tcp/metrics ports, no selector, Local traffic', async () => {
    const svc = JSON.parse(await kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'json']));
    assert.equal(svc.spec.clusterIP, '10.43.0.10');
    assert.equal(svc.spec.internalTrafficPolicy, 'Local');
    assert.equal(svc.spec.selector, undefined);
    assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
    assert.deepEqual(
      svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name}:${p.port}/${p.protocol}`),
      ['dns:53/UDP', 'dns-tcp:53/TCP', 'metrics:9153/TCP'],
    );
    assert.deepEqual((await ask(HOST, port, 'kube-dns.kube-system.svc.cluster.local'))!.data, ['10.43.0.10']);
    // Deleted, it comes back (once the apiserver lets its IP go: a create's reservation holds it 10 s).
    await kubectl(['delete', 'service', '-n', 'kube-system', 'kube-dns']);
    await eventually('kube-dns recreated', 15_000, async () => (await s.kubectl(['get', 'service', '-n', 'kube-system', 'kube-dns'])).code === 0 || undefined);
  });

  test('a Service is resolvable within 1 s of its creation, and gone within 1 s of its deletion', async () => {
    await kubectl(['create', 'namespace', 'dnsns']);
    for (let i = 0; i < 3; i++) {
      const name = `svc-${i}`;
      await kubectl(['create', 'service', 'clusterip', name, '-n', 'dnsns', '--tcp=8080:80']);
      const ip = (await kubectl(['get', 'service', name, '-n', 'dnsns', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
      const appeared = await timeUntil(1000, port, `${name}.dnsns.svc.cluster.local`, (r) => r?.data[0] === ip);
      assert.ok(appeared < 1000, `${name} not resolvable within 1 s`);
      await kubectl(['delete', 'service', name, '-n', 'dnsns', '--wait=false']);
      const gone = await timeUntil(1000, port, `${name}.dnsns.svc.cluster.local`, (r) => r?.rcode === 'NXDOMAIN');
      assert.ok(gone < 1000, `${name} still resolvable 1 s after its deletion`);
    }
  });

  test('a StatefulSet pod is found by <pod>.<headless service>; the headless name lists its pods', async () => {
    await kubectl(
      ['apply', '-n', 'dnsns', '-f', '-'],
      `
apiVersion: v1
kind: Service
metadata: { name: nginx }
spec:
  clusterIP: None
  selector: { app: web }
  ports: [{ name: web, port: 80 }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  serviceName: nginx
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: c, image: skiff.local/httpd:1.35, ports: [{ name: web, containerPort: 80 }] }] }
`,
    );
    const ip0 = await eventually(
      'web-0 has an IP',
      30_000,
      async () => (await kubectl(['get', 'pod', 'web-0', '-n', 'dnsns', '-o', 'jsonpath={.status.podIP}'])).trim() || undefined,
    );
    const r = await eventually(
      'web-0.nginx resolves',
      30_000,
      async () => {
        const a = await ask(HOST, port, 'web-0.nginx.dnsns.svc.cluster.local');
        return a?.data.length ? a : undefined;
      },
      s.logs,
    );
    assert.deepEqual(r.data, [ip0]);
    const all = await eventually('both pods behind nginx', 30_000, async () => {
      const a = await ask(HOST, port, 'nginx.dnsns.svc.cluster.local');
      return a && a.data.length === 2 ? a : undefined;
    });
    assert.ok(all.data.includes(ip0));
    const srv = await ask(HOST, port, '_web._tcp.nginx.dnsns.svc.cluster.local', 'SRV');
    assert.deepEqual((srv!.data as { target: string }[]).map((d) => d.target).sort(), [
      'web-0.nginx.dnsns.svc.cluster.local',
      'web-1.nginx.dnsns.svc.cluster.local',
    ]);
    const ptr = await ask(HOST, port, `${ip0.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
    assert.deepEqual(ptr!.data, ['web-0.nginx.dnsns.svc.cluster.local']);
  });

  test('the skiff-dns ConfigMap: a stub domain applies to the next query, without a restart; removing it undoes it', async () => {
    // No upstream at all yet: SERVFAIL.
    assert.equal((await ask(HOST, port, 'www.acme.local', 'A', 2000))!.rcode, 'SERVFAIL');
    await kubectl(['create', 'configmap', 'skiff-dns', '-n', 'kube-system', `--from-literal=stubDomains={"acme.local": ["${HOST}:${stub.port}"]}`]);
    const r = await eventually(
      'stub domain applied',
      5000,
      async () => {
        const a = await ask(HOST, port, 'www.acme.local', 'A', 2000);
        return a?.data.length ? a : undefined;
      },
      s.logs,
      50,
    );
    assert.deepEqual(r.data, ['192.0.2.99']);
    assert.equal(stub.queries.get('www.acme.local'), 1);
    await kubectl(['delete', 'configmap', 'skiff-dns', '-n', 'kube-system']);
    await eventually('stub domain removed', 5000, async () => ((await ask(HOST, port, 'www.acme.local', 'A', 2000))?.rcode === 'SERVFAIL' ? true : undefined));
    // A malformed ConfigMap is reported, not fatal.
    await kubectl(['create', 'configmap', 'skiff-dns', '-n', 'kube-system', '--from-literal=stubDomains=not json']);
    await eventually('the error is logged', 5000, async () => (s.logs().includes('stubDomains: not JSON') ? true : undefined));
    assert.deepEqual((await ask(HOST, port, 'kubernetes.default.svc.cluster.local'))!.data, ['10.43.0.1']);
  });

  test("a node's kube-dns EndpointSlice: its listener's address and ports, owned by its Node, gone with it", async () => {
    await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Node\nmetadata: { name: dns-node-1 }\n');
    const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
    const reg = registerNodeEndpoint({ client, nodeName: 'dns-node-1', addresses: ['192.0.2.10'], port: 10053, metricsPort: 9153, log: quiet });
    try {
      const slice = await eventually('the slice is owned by its node', 10_000, async () => {
        const sl = JSON.parse(await kubectl(['get', 'endpointslice', '-n', 'kube-system', 'kube-dns-dns-node-1', '-o', 'json']));
        return sl.metadata.ownerReferences?.length ? sl : undefined;
      });
      assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
      assert.deepEqual(
        slice.endpoints.map((e: { addresses: string[]; nodeName: string }) => [e.addresses, e.nodeName]),
        [[['192.0.2.10'], 'dns-node-1']],
      );
      assert.deepEqual(
        slice.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name}:${p.port}/${p.protocol}`),
        ['dns:10053/UDP', 'dns-tcp:10053/TCP', 'metrics:9153/TCP'],
      );
      assert.equal(slice.metadata.ownerReferences[0].kind, 'Node');
      await kubectl(['delete', 'node', 'dns-node-1']);
      await eventually('the slice goes with its node', 15_000, async () =>
        (await s.kubectl(['get', 'endpointslice', '-n', 'kube-system', 'kube-dns-dns-node-1'])).code !== 0 ? true : undefined,
      );
      // …and is not written again while the node is away.
      await sleep(2500);
      assert.notEqual((await s.kubectl(['get', 'endpointslice', '-n', 'kube-system', 'kube-dns-dns-node-1'])).code, 0);
    } finally {
      await reg.stop();
      client.close();
    }
  });
});
