// Object metadata the server owns (name generation, uid, timestamps, generation,
// resourceVersion) and the status subresource's split of spec and status.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, deployment, pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(() => t.close());

const CM = '/api/v1/namespaces/default/configmaps';
const DEP = '/apis/apps/v1/namespaces/default/deployments';

test('generateName: the server appends five characters from the Kubernetes alphabet', async () => {
  const obj = await t.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
  assert.match(obj.metadata!.name, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(obj.metadata!.generateName, 'gen-');
  // It is stored under that name.
  assert.equal((await t.get(`${CM}/${obj.metadata!.name}`)).metadata!.uid, obj.metadata!.uid);
  const other = await t.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
  assert.notEqual(other.metadata!.name, obj.metadata!.name);
});

test('create fills uid, creationTimestamp and resourceVersion; clients cannot choose them', async () => {
  const obj = await t.post(CM, configMap('meta', { a: '1' }, { uid: 'mine', creationTimestamp: '2001-01-01T00:00:00Z' }));
  assert.match(obj.metadata!.uid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.notEqual(obj.metadata!.uid, 'mine');
  assert.match(obj.metadata!.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.notEqual(obj.metadata!.creationTimestamp, '2001-01-01T00:00:00Z');
  assert.match(obj.metadata!.resourceVersion, /^[1-9]\d*$/);
  // A ConfigMap has no generation; only resources whose strategy keeps one do.
  assert.equal(obj.metadata!.generation, undefined);
  // uid and creationTimestamp do not change on update, whatever the client sends.
  const upd = await t.put(`${CM}/meta`, { ...obj, metadata: { ...obj.metadata, uid: 'other', creationTimestamp: '2001-01-01T00:00:00Z' }, data: { a: '2' } });
  assert.equal(upd.metadata!.uid, obj.metadata!.uid);
  assert.equal(upd.metadata!.creationTimestamp, obj.metadata!.creationTimestamp);
});

test('resourceVersion increases with every write', async () => {
  const a = await t.post(CM, configMap('rv-a'));
  const b = await t.post(CM, configMap('rv-b'));
  const a2 = await t.put(`${CM}/rv-a`, { ...a, data: { a: '2' } });
  const rvs = [a, b, a2].map((o) => Number(o.metadata!.resourceVersion));
  assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, `not increasing: ${rvs}`);
  const list = await t.get(CM);
  assert.ok(Number(list.metadata!.resourceVersion) >= rvs[2]!);
});

test('an update that changes nothing writes nothing: same resourceVersion', async () => {
  const obj = await t.post(CM, configMap('noop', { k: 'v' }, { labels: { x: 'y' } }));
  const before = await t.store.currentRevision();
  const same = await t.put(`${CM}/noop`, obj);
  assert.equal(same.metadata!.resourceVersion, obj.metadata!.resourceVersion);
  // Without a resourceVersion in the body too (an unconditional update).
  const { resourceVersion: _, ...meta } = obj.metadata!;
  const same2 = await t.put(`${CM}/noop`, { ...obj, metadata: meta });
  assert.equal(same2.metadata!.resourceVersion, obj.metadata!.resourceVersion);
  // A merge patch that sets what is already there.
  const same3 = await t.patch(`${CM}/noop`, 'merge', { data: { k: 'v' } });
  assert.equal(same3.metadata!.resourceVersion, obj.metadata!.resourceVersion);
  assert.equal(await t.store.currentRevision(), before);
});

test('an unchanged PUT of a defaulted object (Deployment, Pod) writes nothing either', async () => {
  const d = await t.post(DEP, deployment('noop-dep'));
  assert.equal((await t.put(`${DEP}/noop-dep`, d)).metadata!.resourceVersion, d.metadata!.resourceVersion);
  const p = await t.post('/api/v1/namespaces/default/pods', pod('noop-pod'));
  assert.equal((await t.put('/api/v1/namespaces/default/pods/noop-pod', p)).metadata!.resourceVersion, p.metadata!.resourceVersion);
});

test('PUT creates a missing object only where the strategy allows it (Lease yes, ConfigMap no)', async () => {
  const r = await t.call('PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/new-lease', {
    body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'new-lease' }, spec: { holderIdentity: 'me' } },
  });
  assert.equal(r.status, 201);
  assert.ok(r.body.metadata!.uid);
  assert.equal((await t.get('/apis/coordination.k8s.io/v1/namespaces/default/leases/new-lease')).spec.holderIdentity, 'me');
  const st = await t.fail('PUT', `${CM}/never-made`, { body: configMap('never-made') });
  assert.equal(st.code, 404);
  // With a resourceVersion, even a Lease is not created.
  const rv = await t.fail('PUT', '/apis/coordination.k8s.io/v1/namespaces/default/leases/other', {
    body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'other', resourceVersion: '5' }, spec: {} },
  });
  assert.equal(rv.code, 404);
});

test('deployment generation: 1 on create, bumped by spec and annotation changes, not by labels or status', async () => {
  const d = await t.post(DEP, deployment('gen'));
  assert.equal(d.metadata!.generation, 1);
  // Labels: no bump, but a new resourceVersion.
  const l = await t.patch(`${DEP}/gen`, 'merge', { metadata: { labels: { tier: 'web' } } });
  assert.equal(l.metadata!.generation, 1);
  assert.ok(Number(l.metadata!.resourceVersion) > Number(d.metadata!.resourceVersion));
  // Spec: bump.
  const s = await t.patch(`${DEP}/gen`, 'merge', { spec: { replicas: 3 } });
  assert.equal(s.metadata!.generation, 2);
  // Annotations are copied to ReplicaSets, so the Deployment strategy bumps on them too.
  const a = await t.patch(`${DEP}/gen`, 'merge', { metadata: { annotations: { note: 'x' } } });
  assert.equal(a.metadata!.generation, 3);
  // Status (through /status): no bump.
  const st = await t.put(`${DEP}/gen/status`, { ...a, status: { observedGeneration: 3, replicas: 3 } });
  assert.equal(st.metadata!.generation, 3);
  assert.equal(st.status.replicas, 3);
  // A client cannot set generation itself.
  const g = await t.put(`${DEP}/gen`, { ...st, metadata: { ...st.metadata, generation: 42 } });
  assert.equal(g.metadata!.generation, 3);
});

test('status subresource: PUT of the main resource ignores status', async () => {
  const d = await t.post(DEP, deployment('split', { replicas: 1 }));
  const upd = await t.put(`${DEP}/split`, { ...d, spec: { ...d.spec, replicas: 2 }, status: { replicas: 7, readyReplicas: 7 } });
  assert.equal(upd.spec.replicas, 2);
  assert.equal(upd.status.replicas, undefined);
  assert.equal((await t.get(`${DEP}/split`)).status.replicas, undefined);
  // Creating with a status: the status is dropped as well.
  const c = await t.post(DEP, { ...deployment('split2'), status: { replicas: 9 } });
  assert.equal(c.status.replicas, undefined);
});

test('status subresource: PUT on /status ignores spec (and GET /status returns the whole object)', async () => {
  const d = await t.post(DEP, deployment('split3', { replicas: 1 }));
  const upd = await t.put(`${DEP}/split3/status`, { ...d, spec: { ...d.spec, replicas: 5 }, status: { replicas: 1, updatedReplicas: 1 } });
  assert.equal(upd.spec.replicas, 1);
  assert.equal(upd.status.replicas, 1);
  assert.equal(upd.metadata!.generation, 1);
  const got = await t.get(`${DEP}/split3/status`);
  assert.equal(got.kind, 'Deployment');
  assert.equal(got.spec.replicas, 1);
  assert.equal(got.status.updatedReplicas, 1);
  // Merge patch on /status: only status moves.
  const p = await t.patch(`${DEP}/split3/status`, 'merge', { spec: { replicas: 4 }, status: { readyReplicas: 1 } });
  assert.equal(p.spec.replicas, 1);
  assert.equal(p.status.readyReplicas, 1);
});

test('update with a stale resourceVersion → 409 Conflict; with none it applies to the latest', async () => {
  const cm = await t.post(CM, configMap('stale'));
  await t.put(`${CM}/stale`, { ...cm, data: { a: '2' } });
  const st = await t.fail('PUT', `${CM}/stale`, { body: { ...cm, data: { a: '3' } } });
  assert.equal(st.code, 409);
  assert.equal(st.reason, 'Conflict');
  assert.equal(
    st.message,
    'Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again',
  );
  const { resourceVersion: _, ...meta } = cm.metadata!;
  const ok = await t.put(`${CM}/stale`, { ...cm, metadata: meta, data: { a: '4' } });
  assert.equal(ok.data.a, '4');
});
