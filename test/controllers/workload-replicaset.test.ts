import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { eventually, startHarness } from './workload-harness.js';
import { errors } from '../../src/apiserver/status.js';

function rs(name: string, replicas: number, extra: Record<string, unknown> = {}): ReplicaSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      ...extra,
    },
  } as ReplicaSet;
}

const owned = (pods: Pod[], uid: string) =>
  pods.filter((p) => p.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller) && !p.metadata?.deletionTimestamp);

test('replicaset: creates, heals, scales down, reports status', { timeout: 30_000 }, async () => {
  const h = await startHarness(['replicaset']);
  try {
    const created = await h.client.replicaSets.create(rs('web', 3));
    const uid = created.metadata!.uid!;
    await eventually(
      async () => {
        const s = (await h.client.replicaSets.get('web', 'default')).status;
        return s?.replicas === 3 && s.readyReplicas === 3 && s.availableReplicas === 3 && s.fullyLabeledReplicas === 3 && s.observedGeneration === 1;
      },
      5000,
      'status 3/3',
    );
    let pods = owned((await h.client.pods.list({ namespace: 'default' })).items, uid);
    assert.equal(pods.length, 3);
    assert.ok(pods.every((p) => p.metadata!.name!.startsWith('web-') && p.metadata!.ownerReferences![0]!.blockOwnerDeletion === true));

    // A deleted pod is replaced, and never more than 3 exist at once.
    await h.client.pods.delete(pods[0]!.metadata!.name!, { namespace: 'default', gracePeriodSeconds: 0 });
    await eventually(
      async () => {
        const now = owned((await h.client.pods.list({ namespace: 'default' })).items, uid);
        assert.ok(now.length <= 3, `over-created: ${now.length}`);
        return now.length === 3 && !now.some((p) => p.metadata!.name === pods[0]!.metadata!.name);
      },
      3000,
      'replacement',
    );

    // Scale down deletes the not-ready pod first.
    pods = owned((await h.client.pods.list({ namespace: 'default' })).items, uid);
    const victim = pods[1]!.metadata!.name!;
    h.kubelet!.ready = (p) => p.metadata!.name !== victim;
    await eventually(
      async () => (await h.client.pods.get(victim, 'default')).status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False',
      3000,
      'victim not ready',
    );
    await h.client.replicaSets.patch('web', { spec: { replicas: 2 } }, 'merge', { namespace: 'default' });
    await eventually(async () => owned((await h.client.pods.list({ namespace: 'default' })).items, uid).length === 2, 3000, 'scale to 2');
    const left = owned((await h.client.pods.list({ namespace: 'default' })).items, uid).map((p) => p.metadata!.name);
    assert.ok(!left.includes(victim), `the not-ready pod ${victim} should have gone first; left ${left}`);
    await eventually(async () => (await h.client.replicaSets.get('web', 'default')).status?.observedGeneration === 2, 3000, 'observedGeneration 2');
  } finally {
    await h.close();
  }
});

test('replicaset: adopts matching orphans and releases pods that stop matching', { timeout: 30_000 }, async () => {
  const h = await startHarness(['replicaset']);
  try {
    await h.client.pods.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stray', namespace: 'default', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const created = await h.client.replicaSets.create(rs('web', 2));
    const uid = created.metadata!.uid!;
    await eventually(async () => owned((await h.client.pods.list({ namespace: 'default' })).items, uid).length === 2, 3000, '2 pods');
    const stray = await h.client.pods.get('stray', 'default');
    assert.equal(stray.metadata!.ownerReferences?.[0]?.uid, uid, 'the orphan is adopted');
    // Only one pod was created besides the adopted one.
    const all = (await h.client.pods.list({ namespace: 'default' })).items;
    assert.equal(all.length, 2);

    await h.client.pods.patch('stray', { metadata: { labels: { app: 'other' } } }, 'merge', { namespace: 'default' });
    await eventually(async () => !(await h.client.pods.get('stray', 'default')).metadata!.ownerReferences?.length, 3000, 'released');
    await eventually(async () => owned((await h.client.pods.list({ namespace: 'default' })).items, uid).length === 2, 3000, 'replacement for the released pod');
  } finally {
    await h.close();
  }
});

test('replicaset: minReadySeconds delays availability; ReplicaFailure on create errors', { timeout: 30_000 }, async () => {
  const h = await startHarness(['replicaset']);
  try {
    await h.client.replicaSets.create(rs('slow', 1, { minReadySeconds: 1 }));
    await eventually(async () => (await h.client.replicaSets.get('slow', 'default')).status?.readyReplicas === 1, 3000, 'ready');
    const s = (await h.client.replicaSets.get('slow', 'default')).status!;
    assert.equal(s.availableReplicas ?? 0, 0, 'not available before minReadySeconds');
    await eventually(async () => (await h.client.replicaSets.get('slow', 'default')).status?.availableReplicas === 1, 4000, 'available after minReadySeconds');

    // Pods refused at admission (as a quota would refuse them) → ReplicaFailure/FailedCreate.
    h.t.api.storage.admission.push((op, def, obj) => {
      if (op === 'create' && def.plural === 'pods' && obj.metadata?.labels?.app === 'bad') throw errors.forbidden('', 'pods', '', 'exceeded quota: test');
    });
    await h.client.replicaSets.create(rs('bad', 1));
    const c = await eventually(
      async () => (await h.client.replicaSets.get('bad', 'default')).status?.conditions?.find((x) => x.type === 'ReplicaFailure'),
      4000,
      'ReplicaFailure',
    );
    assert.equal(c.reason, 'FailedCreate');
    assert.equal(c.status, 'True');
    assert.match(c.message ?? '', /exceeded quota: test/);
    const ev = await eventually(
      async () => (await h.client.events.list({ namespace: 'default' })).items.find((e) => e.reason === 'FailedCreate' && e.involvedObject.name === 'bad'),
      3000,
      'FailedCreate event',
    );
    assert.equal(ev.type, 'Warning');
  } finally {
    await h.close();
  }
});

test('replicationcontroller: keeps replicas with a map selector', { timeout: 30_000 }, async () => {
  const h = await startHarness(['replicationcontroller']);
  try {
    await h.client.resource({ group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, kind: 'ReplicationController' }).create({
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { app: 'rc' },
        template: { metadata: { labels: { app: 'rc' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await eventually(
      async () => {
        const rc = await h.client.resource({ group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true }).get('rc', 'default');
        return rc.status?.readyReplicas === 2 && rc.status.replicas === 2;
      },
      5000,
      'rc ready',
    );
    const pods = (await h.client.pods.list({ namespace: 'default' })).items;
    assert.equal(pods.length, 2);
    assert.equal(pods[0]!.metadata!.ownerReferences![0]!.kind, 'ReplicationController');
  } finally {
    await h.close();
  }
});

test('replicaset: expectations prevent over-creation while its own creates are in flight', { timeout: 30_000 }, async () => {
  const h = await startHarness(['replicaset'], { kubelet: false, watchLagMs: 150 });
  try {
    let creates = 0;
    // Slow pod creation, and a watch that lags behind the writes: the window in which a
    // controller without expectations would count too few pods and create more.
    h.t.api.storage.admission.push(async (op, def) => {
      if (op !== 'create' || def.plural !== 'pods') return;
      creates++;
      await new Promise((r) => setTimeout(r, 15));
    });
    await h.client.replicaSets.create(rs('burst', 30));
    // Nudge the controller repeatedly meanwhile (each update enqueues the ReplicaSet).
    for (let i = 0; i < 20; i++) {
      await h.client.replicaSets.patch('burst', { metadata: { annotations: { nudge: String(i) } } }, 'merge', { namespace: 'default' });
      await new Promise((r) => setTimeout(r, 10));
    }
    await eventually(async () => (await h.client.replicaSets.get('burst', 'default')).status?.replicas === 30, 5000, '30 pods');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(creates, 30, 'exactly one create per replica');
    assert.equal((await h.client.pods.list({ namespace: 'default' })).items.length, 30);
  } finally {
    await h.close();
  }
});
