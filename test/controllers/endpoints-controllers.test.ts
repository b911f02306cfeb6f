import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { eventually, startHarness } from './workload-harness.js';

function pod(name: string, labels: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'httpd', ports: [{ name: 'http', containerPort: 8080 }] }] },
  };
}

function svc(name: string, selector: Record<string, string> | undefined): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      ...(selector ? { selector } : {}),
      ports: [
        { name: 'web', port: 80, targetPort: 'http' },
        { name: 'num', port: 81, targetPort: 9090 },
      ],
    },
  };
}

test('endpoints and endpointslices: ready and not-ready addresses, named and numeric ports, node and zone', { timeout: 30_000 }, async () => {
  const h = await startHarness(['endpoint', 'endpointslice', 'garbage-collector'], { nodes: ['node-a', 'node-b'] });
  try {
    h.kubelet!.ready = (p) => p.metadata!.name !== 'p2';
    await h.client.services.create(svc('web', { app: 'web' }));
    await h.client.services.create(svc('manual', undefined));
    for (const n of ['p1', 'p2']) await h.client.pods.create(pod(n, { app: 'web' }));
    await h.client.pods.create(pod('other', { app: 'other' }));

    const ep = await eventually(
      async () => {
        const e = await h.client.endpoints.get('web', 'default');
        const s = e.subsets?.[0];
        return s?.addresses?.length === 1 && s.notReadyAddresses?.length === 1 ? e : undefined;
      },
      5000,
      'endpoints with one ready and one not-ready address',
    );
    const subset = ep.subsets![0]!;
    assert.equal(subset.addresses![0]!.targetRef!.name, 'p1');
    assert.equal(subset.notReadyAddresses![0]!.targetRef!.name, 'p2');
    assert.ok(subset.addresses![0]!.nodeName?.startsWith('node-'));
    assert.deepEqual(subset.ports!.map((p) => [p.name, p.port]).sort(), [
      ['num', 9090],
      ['web', 8080],
    ]);
    await assert.rejects(h.client.endpoints.get('manual', 'default'), 'a Service without selector gets no Endpoints from the controller');

    const slices = await eventually(
      async () => {
        const l = (await h.client.endpointSlices.list({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' })).items;
        return l.length === 1 && l[0]!.endpoints?.length === 2 ? l : undefined;
      },
      5000,
      'one slice with two endpoints',
    );
    const slice = slices[0]!;
    assert.equal(slice.addressType, 'IPv4');
    assert.equal(slice.metadata!.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice.metadata!.ownerReferences![0]!.kind, 'Service');
    const e1 = slice.endpoints!.find((e) => e.targetRef!.name === 'p1')!;
    const e2 = slice.endpoints!.find((e) => e.targetRef!.name === 'p2')!;
    assert.deepEqual(e1.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(e2.conditions!.ready, false);
    assert.ok(e1.nodeName);
    assert.equal(e1.zone, e1.nodeName === 'node-a' ? 'zone-a' : 'zone-b');

    // Readiness flips show up within a second in both.
    h.kubelet!.ready = () => true;
    const t0 = Date.now();
    await eventually(async () => (await h.client.endpoints.get('web', 'default')).subsets?.[0]?.addresses?.length === 2, 2000, 'both ready in Endpoints');
    await eventually(
      async () => {
        const l = (await h.client.endpointSlices.list({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' })).items;
        return l[0]?.endpoints?.every((e) => e.conditions?.ready);
      },
      2000,
      'both ready in the slice',
    );
    const took = Date.now() - t0;
    // The fake kubelet sweeps every 200 ms; the controllers themselves must add well under a second.
    assert.ok(took < 1000, `readiness took ${took} ms to reach endpoints`);

    // Pod deleted → address removed; Service deleted → Endpoints and slices go.
    await h.client.pods.delete('p1', { namespace: 'default', gracePeriodSeconds: 0 });
    await eventually(async () => (await h.client.endpoints.get('web', 'default')).subsets?.[0]?.addresses?.length === 1, 2000, 'p1 removed');
    await h.client.services.delete('web', { namespace: 'default' });
    await eventually(
      () =>
        h.client.endpoints.get('web', 'default').then(
          () => false,
          () => true,
        ),
      3000,
      'endpoints deleted',
    );
    await eventually(
      async () => (await h.client.endpointSlices.list({ namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' })).items.length === 0,
      3000,
      'slices collected',
    );
  } finally {
    await h.close();
  }
});

test('serviceaccount: a default ServiceAccount in every namespace, recreated when deleted', { timeout: 20_000 }, async () => {
  const h = await startHarness(['serviceaccount'], { kubelet: false });
  try {
    for (const ns of ['default', 'kube-system', 'kube-public'])
      await eventually(() => h.client.serviceAccounts.get('default', ns), 3000, `default SA in ${ns}`);
    await h.client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const sa = await eventually(() => h.client.serviceAccounts.get('default', 'team'), 3000, 'default SA in a new namespace');
    await h.client.serviceAccounts.delete('default', { namespace: 'team' });
    const again = await eventually(
      async () => {
        const s = await h.client.serviceAccounts.get('default', 'team');
        return s.metadata!.uid !== sa.metadata!.uid ? s : undefined;
      },
      3000,
      'recreated',
    );
    assert.equal(again.metadata!.name, 'default');
  } finally {
    await h.close();
  }
});
