// dryRun=All: every stage runs (defaulting, validation, admission), nothing is stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, deployment, pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('dry');
});
after(() => t.close());

const CM = '/api/v1/namespaces/dry/configmaps';
const PODS = '/api/v1/namespaces/dry/pods';
const DRY = { dryRun: 'All' };

/** Runs `fn` and asserts that the store's revision did not move. */
async function storesNothing(fn: () => Promise<unknown>): Promise<void> {
  const before = await t.store.currentRevision();
  await fn();
  assert.equal(await t.store.currentRevision(), before, 'the store was written');
}

test('dry-run create: the answer is the object as it would be stored; nothing is', async () => {
  await storesNothing(async () => {
    const r = await t.call('POST', CM, { body: configMap('ghost'), query: DRY });
    assert.equal(r.status, 201);
    assert.equal(r.body.metadata!.name, 'ghost');
    assert.ok(r.body.metadata!.uid);
    assert.ok(r.body.metadata!.creationTimestamp);
    assert.equal(r.body.metadata!.resourceVersion, undefined);
    // Defaulting ran too.
    const d = await t.post('/apis/apps/v1/namespaces/dry/deployments', deployment('ghost-dep'), DRY);
    assert.equal(d.spec.strategy.type, 'RollingUpdate');
    assert.equal(d.metadata!.generation, 1);
    const g = await t.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }, DRY);
    assert.match(g.metadata!.name, /^gen-.{5}$/);
  });
  assert.equal(await t.exists(`${CM}/ghost`), false);
});

test('dry-run create still fails validation (422) and on an existing name (409)', async () => {
  await t.post(CM, configMap('taken'));
  await storesNothing(async () => {
    const bad = await t.fail('POST', CM, { body: configMap('Bad_Name'), query: DRY });
    assert.equal(bad.code, 422);
    const dup = await t.fail('POST', CM, { body: configMap('taken'), query: DRY });
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    assert.equal(dup.message, 'configmaps "taken" already exists');
  });
});

test('dry-run update and patch answer the new object and store nothing', async () => {
  const cm = await t.post(CM, configMap('upd', { a: '1' }));
  await storesNothing(async () => {
    const u = await t.put(`${CM}/upd`, { ...cm, data: { a: '2' } }, DRY);
    assert.equal(u.data.a, '2');
    const p = await t.patch(`${CM}/upd`, 'merge', { data: { a: '3' } }, DRY);
    assert.equal(p.data.a, '3');
  });
  const now = await t.get(`${CM}/upd`);
  assert.equal(now.data.a, '1');
  assert.equal(now.metadata!.resourceVersion, cm.metadata!.resourceVersion);
});

test('dry-run delete keeps the object (immediate, finalizer-held and graceful alike)', async () => {
  await t.post(CM, configMap('keep'));
  await t.post(CM, configMap('keep-fin', { a: '1' }, { finalizers: ['example.com/x'] }));
  await t.post(PODS, pod('keep-pod', { nodeName: 'n1' }));
  await t.post(PODS, pod('keep-pod2'));
  await storesNothing(async () => {
    await t.del(`${CM}/keep`, DRY);
    const f = await t.del(`${CM}/keep-fin`, DRY);
    assert.ok(f.metadata!.deletionTimestamp);
    const p = await t.del(`${PODS}/keep-pod`, DRY);
    assert.equal(p.kind, 'Pod');
    await t.del(`${PODS}/keep-pod`, { ...DRY, gracePeriodSeconds: 0 });
    await t.del(`${PODS}/keep-pod2`, undefined, { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'] });
    await t.del(CM, DRY); // deletecollection
  });
  for (const p of [`${CM}/keep`, `${CM}/keep-fin`, `${PODS}/keep-pod`, `${PODS}/keep-pod2`]) {
    assert.ok(await t.exists(p), p);
    assert.equal((await t.get(p)).metadata!.deletionTimestamp, undefined, p);
  }
});

test('dry-run on subresources: binding, scale, namespace finalize', async () => {
  await t.post(PODS, pod('dry-bind'));
  const dep = await t.post('/apis/apps/v1/namespaces/dry/deployments', deployment('dry-scale', { replicas: 1 }));
  const ns = await t.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dry-fin' } });
  await storesNothing(async () => {
    await t.call('POST', `${PODS}/dry-bind/binding`, { body: { metadata: { name: 'dry-bind' }, target: { kind: 'Node', name: 'n1' } }, query: DRY });
    await t.put(
      '/apis/apps/v1/namespaces/dry/deployments/dry-scale/scale',
      { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'dry-scale', namespace: 'dry' }, spec: { replicas: 4 } },
      DRY,
    );
    await t.put('/api/v1/namespaces/dry-fin/finalize', { ...ns, spec: { finalizers: [] } }, DRY);
  });
  assert.equal((await t.get(`${PODS}/dry-bind`)).spec.nodeName, undefined);
  assert.equal((await t.get('/apis/apps/v1/namespaces/dry/deployments/dry-scale')).spec.replicas, dep.spec.replicas);
  assert.deepEqual((await t.get('/api/v1/namespaces/dry-fin')).spec.finalizers, ['kubernetes']);
});

test('an unknown dryRun value fails the options validation: 422 Invalid', async () => {
  const st = await t.fail('POST', CM, { body: configMap('odd'), query: { dryRun: 'Some' } });
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.equal(st.details.kind, 'CreateOptions');
  assert.equal(st.details.group, 'meta.k8s.io');
  assert.match(st.message, /dryRun: Unsupported value: \[\]string\{"Some"\}: supported values: "All"$/);
  const del = await t.fail('DELETE', `${CM}/odd`, { query: { dryRun: 'x' } });
  assert.equal(del.code, 422);
  assert.equal(del.details.kind, 'DeleteOptions');
  assert.equal(await t.exists(`${CM}/odd`), false);
});
