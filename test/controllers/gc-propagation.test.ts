import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { eventually, startHarness, type Harness } from './workload-harness.js';

function cm(name: string, owners: { name: string; uid: string; kind?: string; apiVersion?: string; block?: boolean }[] = []): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: owners.map((o) => ({
        apiVersion: o.apiVersion ?? 'v1',
        kind: o.kind ?? 'ConfigMap',
        name: o.name,
        uid: o.uid,
        ...(o.block ? { blockOwnerDeletion: true } : {}),
      })),
    },
    data: { a: '1' },
  };
}

const gone = (h: Harness, name: string) =>
  h.client.configMaps.get(name, 'default').then(
    () => false,
    () => true,
  );

test('gc: background deletes dependents of any kind, including ones created after the owner is gone', { timeout: 20_000 }, async () => {
  const h = await startHarness(['garbage-collector'], { kubelet: false });
  try {
    const owner = await h.client.configMaps.create(cm('owner'));
    const uid = owner.metadata!.uid!;
    await h.client.configMaps.create(cm('dep1', [{ name: 'owner', uid }]));
    await h.client.secrets.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'dep2', namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid }] },
    });
    // A second, live owner keeps this one alive; it only loses the dangling reference.
    const other = await h.client.configMaps.create(cm('other'));
    await h.client.configMaps.create(
      cm('shared', [
        { name: 'owner', uid },
        { name: 'other', uid: other.metadata!.uid! },
      ]),
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await gone(h, 'dep1'), false, 'dependents stay while the owner exists');

    await h.client.configMaps.delete('owner', { namespace: 'default' });
    await eventually(() => gone(h, 'dep1'), 3000, 'dep1 deleted');
    await eventually(
      () =>
        h.client.secrets.get('dep2', 'default').then(
          () => false,
          () => true,
        ),
      3000,
      'secret dep2 deleted',
    );
    const shared = await eventually(
      async () => {
        const s = await h.client.configMaps.get('shared', 'default');
        return s.metadata!.ownerReferences!.length === 1 ? s : undefined;
      },
      3000,
      'dangling reference removed',
    );
    assert.equal(shared.metadata!.ownerReferences![0]!.name, 'other');

    // Created after its owner was deleted: collected all the same.
    await h.client.configMaps.create(cm('late', [{ name: 'owner', uid }]));
    await eventually(() => gone(h, 'late'), 3000, 'late dependent deleted');
  } finally {
    await h.close();
  }
});

test('gc: foreground keeps the owner until blocking dependents are gone; orphan strips ownerReferences', { timeout: 20_000 }, async () => {
  const h = await startHarness(['garbage-collector'], { kubelet: false });
  try {
    const owner = await h.client.configMaps.create(cm('fg'));
    const uid = owner.metadata!.uid!;
    // A dependent with its own finalizer holds the owner in foregroundDeletion.
    const dep = cm('fg-dep', [{ name: 'fg', uid, block: true }]);
    dep.metadata!.finalizers = ['example.com/hold'];
    await h.client.configMaps.create(dep);
    await h.client.configMaps.delete('fg', { namespace: 'default', propagationPolicy: 'Foreground' });
    const held = await eventually(
      async () => {
        const d = await h.client.configMaps.get('fg-dep', 'default');
        return d.metadata!.deletionTimestamp ? d : undefined;
      },
      3000,
      'dependent marked for deletion',
    );
    assert.ok(held);
    await new Promise((r) => setTimeout(r, 300));
    const o = await h.client.configMaps.get('fg', 'default');
    assert.ok(o.metadata!.deletionTimestamp);
    assert.deepEqual(o.metadata!.finalizers, ['foregroundDeletion']);
    await h.client.configMaps.patch('fg-dep', { metadata: { finalizers: null } }, 'merge', { namespace: 'default' });
    await eventually(() => gone(h, 'fg'), 3000, 'owner deleted after its dependent');

    const orphanOwner = await h.client.configMaps.create(cm('or'));
    await h.client.configMaps.create(cm('or-dep', [{ name: 'or', uid: orphanOwner.metadata!.uid!, block: true }]));
    await h.client.configMaps.delete('or', { namespace: 'default', propagationPolicy: 'Orphan' });
    await eventually(() => gone(h, 'or'), 3000, 'orphaning owner deleted');
    const kept = await h.client.configMaps.get('or-dep', 'default');
    assert.equal(kept.metadata!.ownerReferences, undefined);
  } finally {
    await h.close();
  }
});

test('gc: deleting a Deployment in the foreground deletes pods, then ReplicaSets, then itself', { timeout: 30_000 }, async () => {
  const h = await startHarness(['replicaset', 'deployment', 'garbage-collector']);
  try {
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'httpd' }] } },
      },
    };
    await h.client.deployments.create(d);
    await eventually(async () => (await h.client.deployments.get('web', 'default')).status?.availableReplicas === 3, 5000, 'available');
    const order: string[] = [];
    const poll = setInterval(() => {
      void Promise.all([
        h.client.pods.list({ namespace: 'default' }),
        h.client.replicaSets.list({ namespace: 'default' }),
        h.client.deployments.list({ namespace: 'default' }),
      ]).then(([p, r, dd]) => {
        const state = `${p.items.length}/${r.items.length}/${dd.items.length}`;
        if (order[order.length - 1] !== state) order.push(state);
      });
    }, 5);
    await h.client.deployments.delete('web', { namespace: 'default', propagationPolicy: 'Foreground' });
    await eventually(async () => (await h.client.deployments.list({ namespace: 'default' })).items.length === 0, 5000, 'deployment gone');
    clearInterval(poll);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await h.client.pods.list({ namespace: 'default' })).items.length, 0);
    assert.equal((await h.client.replicaSets.list({ namespace: 'default' })).items.length, 0);
    // Never a state where the Deployment or ReplicaSet is gone while pods remain.
    for (const s of order) {
      const [p, r, dd] = s.split('/').map(Number) as [number, number, number];
      assert.ok(!(p > 0 && (r === 0 || dd === 0)), `pods outlived their owners: ${order.join(' → ')}`);
    }
  } finally {
    await h.close();
  }
});
