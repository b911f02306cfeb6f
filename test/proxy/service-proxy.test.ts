// The proxy core against a real (in-process) apiserver with the EndpointSlice and ServiceLB
// controllers: what the snapshot holds for each kind of Service, which ports a sync is told
// changed, and the runner's retry after a failed sync. The mode here records what it is
// asked to program; the iptables mode's own output is checked in iptables-rules/mode tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { startServiceProxy } from '../../src/proxy/index.js';
import type { ProxyMode, ProxySnapshot, ServicePortKey } from '../../src/proxy/types.js';
import { eventually, quietLog, startHarness } from '../controllers/workload-harness.js';

class RecordingMode implements ProxyMode {
  readonly name = 'iptables' as const;
  syncs: { snapshot: ProxySnapshot; changed: ServicePortKey[] | 'all' }[] = [];
  failNext = 0;
  async sync(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('iptables-restore: line 3 failed');
    }
    this.syncs.push({ snapshot, changed: changed === 'all' ? 'all' : [...changed].sort() });
  }
  last(): ProxySnapshot {
    return this.syncs.at(-1)!.snapshot;
  }
  async cleanup() {}
  async stop() {}
}

function pod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'httpd',
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'dns', containerPort: 5353, protocol: 'UDP' },
          ],
        },
      ],
    },
  };
}

function svc(name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
}

/** The proxy of node-1 (address 192.168.5.1) over the harness's apiserver, programming `mode`. */
function startProxy(h: Awaited<ReturnType<typeof startHarness>>, mode: ProxyMode, extra: Partial<Parameters<typeof startServiceProxy>[0]> = {}) {
  return startServiceProxy({
    client: h.client,
    nodeName: 'node-1',
    nodeIPs: ['192.168.5.1'],
    mode: 'iptables',
    modeImpl: mode,
    clusterCIDR: '10.42.0.0/16',
    log: quietLog,
    ...extra,
  });
}

async function readyNode(h: Awaited<ReturnType<typeof startHarness>>, name: string, ip: string, ready = true): Promise<void> {
  const n = await h.client.nodes.get(name);
  await h.client.nodes.updateStatus({
    ...n,
    status: { addresses: [{ type: 'InternalIP', address: ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  } as Node);
}

test('snapshot: named targetPorts resolved per EndpointSlice, TCP and UDP ports, local endpoints; headless and ExternalName get nothing; partial syncs name only what changed', {
  timeout: 30_000,
}, async () => {
  const h = await startHarness(['endpointslice'], { nodes: ['node-1', 'node-2'] });
  const mode = new RecordingMode();
  const proxy = await startProxy(h, mode);
  try {
    await eventually(() => mode.syncs.length > 0, 5000, 'the first sync');
    assert.equal(mode.syncs[0]!.changed, 'all', 'the first sync is a full one');
    for (const n of ['p1', 'p2']) await h.client.pods.create(pod(n));
    await h.client.services.create(
      svc('web', {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' },
        ],
      }),
    );
    await h.client.services.create(svc('headless', { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] }));
    await h.client.services.create(svc('ext', { type: 'ExternalName', externalName: 'example.invalid' }));
    const snap = await eventually(
      () => {
        const s = mode.last();
        return s.endpoints.get('default/web:http')?.filter((e) => e.ready).length === 2 ? s : undefined;
      },
      5000,
      'both endpoints of web:http',
    );
    assert.deepEqual([...snap.services.keys()].filter((k) => k.startsWith('default/')).sort(), ['default/web:dns', 'default/web:http']);
    const http = snap.services.get('default/web:http')!;
    assert.equal(http.protocol, 'TCP');
    assert.equal(http.port, 80);
    assert.equal(snap.services.get('default/web:dns')!.protocol, 'UDP');
    assert.deepEqual(
      snap.endpoints.get('default/web:http')!.map((e) => e.port),
      [8080, 8080],
    );
    assert.deepEqual(
      snap.endpoints.get('default/web:dns')!.map((e) => e.port),
      [5353, 5353],
    );
    assert.deepEqual(
      snap.endpoints
        .get('default/web:http')!
        .map((e) => e.isLocal)
        .sort(),
      [false, true],
      'the fake kubelet spreads pods over both nodes',
    );
    assert.deepEqual(snap.nodeIPs, ['192.168.5.1']);

    // A new Service: the next sync names only its port.
    const before = mode.syncs.length;
    await h.client.services.create(svc('other', { selector: { app: 'none' }, ports: [{ port: 9000 }] }));
    await eventually(
      () => mode.syncs.slice(before).some((s) => s.changed !== 'all' && s.changed.includes('default/other')),
      5000,
      'a sync naming default/other',
    );
    for (const s of mode.syncs.slice(before)) assert.notEqual(s.changed, 'all');
    for (const s of mode.syncs.slice(before))
      assert.deepEqual(s.changed, ['default/other'], 'an unnamed port is keyed without a colon, and nothing else changed');
    assert.deepEqual(mode.last().endpoints.get('default/other'), []);

    await h.client.services.delete('web', { namespace: 'default' });
    await eventually(() => !mode.last().services.has('default/web:http'), 5000, 'the deleted Service gone from the snapshot');
    assert.ok(mode.syncs.some((s) => s.changed !== 'all' && s.changed.includes('default/web:http') && s.changed.includes('default/web:dns')));
  } finally {
    await proxy.stop();
    await h.close();
  }
});

test("ServiceLB: Ready nodes' InternalIPs become the LoadBalancer ingress and the snapshot's loadBalancerIPs; another loadBalancerClass is left alone", {
  timeout: 30_000,
}, async () => {
  const h = await startHarness(['endpointslice', 'servicelb'], { nodes: ['node-1', 'node-2', 'node-3'] });
  const mode = new RecordingMode();
  const proxy = await startProxy(h, mode);
  try {
    await readyNode(h, 'node-1', '192.168.5.1');
    await readyNode(h, 'node-2', '192.168.5.2');
    await readyNode(h, 'node-3', '192.168.5.3', false);
    await h.client.services.create(svc('lb', { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] }));
    await h.client.services.create(
      svc('cloud', { type: 'LoadBalancer', loadBalancerClass: 'example.com/cloud', selector: { app: 'web' }, ports: [{ port: 81 }] }),
    );
    const lb = await eventually(
      async () => {
        const s = await h.client.services.get('lb', 'default');
        return s.status?.loadBalancer?.ingress?.length ? s : undefined;
      },
      5000,
      'the LoadBalancer ingress',
    );
    assert.deepEqual(
      lb.status!.loadBalancer!.ingress!.map((i) => i.ip),
      ['192.168.5.1', '192.168.5.2'],
    );
    await eventually(() => mode.last().services.get('default/lb')?.loadBalancerIPs.length === 2, 5000, 'loadBalancerIPs in the snapshot');
    assert.ok(mode.last().services.get('default/lb')!.nodePort! > 0);

    await readyNode(h, 'node-3', '192.168.5.3');
    await eventually(
      async () => (await h.client.services.get('lb', 'default')).status?.loadBalancer?.ingress?.length === 3,
      5000,
      'a node turning Ready joins the ingress',
    );
    assert.deepEqual((await h.client.services.get('cloud', 'default')).status?.loadBalancer?.ingress ?? [], []);
  } finally {
    await proxy.stop();
    await h.close();
  }
});

test('runner: a failed sync is retried with back-off as a full sync; later changes still arrive', { timeout: 30_000 }, async () => {
  const h = await startHarness([], { nodes: ['node-1'], kubelet: false });
  const mode = new RecordingMode();
  mode.failNext = 2;
  const proxy = await startProxy(h, mode, { log: { ...quietLog, error: () => {} }, runner: { retryInitialMs: 20, retryMaxMs: 100 } });
  try {
    await h.client.services.create(svc('a', { ports: [{ port: 80 }] }));
    await eventually(() => mode.syncs.length > 0, 5000, 'a sync after two failures');
    assert.equal(mode.syncs[0]!.changed, 'all', 'after a failure the next sync is a full one');
    await eventually(() => mode.last().services.has('default/a'), 5000, 'the Service synced');
    await h.client.services.create(svc('b', { ports: [{ port: 80 }] }));
    await eventually(() => mode.last().services.has('default/b'), 5000, 'the next Service synced');
    assert.notEqual(mode.syncs.at(-1)!.changed, 'all');
  } finally {
    await proxy.stop();
    await h.close();
  }
});

test('a Service the mode leaves out gets one Warning Event (not one per sync); the others are programmed', { timeout: 30_000 }, async () => {
  const h = await startHarness(['endpointslice'], { nodes: ['node-1'] });
  class SkippingMode extends RecordingMode {
    skipped(): ReadonlyMap<ServicePortKey, string> {
      return new Map(
        this.syncs.length && this.last().services.has('default/bad:http') ? [['default/bad:http', 'iptables-restore refused its rule: bad argument']] : [],
      );
    }
  }
  const mode = new SkippingMode();
  const proxy = await startProxy(h, mode);
  try {
    await h.client.services.create(svc('bad', { ports: [{ name: 'http', port: 80 }] }));
    await h.client.services.create(svc('good', { ports: [{ name: 'http', port: 80 }] }));
    await eventually(() => mode.syncs.length > 0 && mode.last().services.has('default/good:http'), 5000, 'both Services synced');
    const events = await eventually(
      async () => {
        const l = await h.client.events.list({ namespace: 'default' });
        const mine = l.items.filter((e) => e.involvedObject?.kind === 'Service' && e.reason === 'FailedToProgramService');
        return mine.length > 0 ? mine : undefined;
      },
      5000,
      'the Warning Event',
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.involvedObject!.name, 'bad');
    assert.ok(events[0]!.involvedObject!.uid, 'the Event names the Service by uid');
    assert.equal(events[0]!.type, 'Warning');
    assert.match(events[0]!.message!, /iptables proxy on node node-1 skipped port "http": iptables-restore refused its rule/);
    await h.client.services.create(svc('other', { ports: [{ name: 'http', port: 80 }] }));
    await eventually(() => mode.last().services.has('default/other:http'), 5000, 'a later sync');
    const again = (await h.client.events.list({ namespace: 'default' })).items.filter((e) => e.reason === 'FailedToProgramService');
    assert.equal(again.length, 1, 'not repeated by later syncs');
    assert.equal(again[0]!.count ?? 1, 1);
  } finally {
    await proxy.stop();
    await h.close();
  }
});
