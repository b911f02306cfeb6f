// Namespace lifecycle: admission of content, Terminating, the finalize subresource,
// and the namespaces that may never be deleted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(() => t.close());

const NS = '/api/v1/namespaces';

test('bootstrap: the system namespaces exist, Active, labelled with their name', async () => {
  const l = await t.get(NS);
  const names = l.items.map((n: any) => n.metadata.name);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.ok(names.includes(n), n);
  const d = await t.get(`${NS}/default`);
  assert.equal(d.status.phase, 'Active');
  assert.deepEqual(d.spec.finalizers, ['kubernetes']);
  assert.equal(d.metadata!.labels['kubernetes.io/metadata.name'], 'default');
});

test('creating in a namespace that does not exist → 404 NotFound for the namespace', async () => {
  const st = await t.fail('POST', '/api/v1/namespaces/nowhere/configmaps', { body: configMap('x') });
  assert.equal(st.code, 404);
  assert.equal(st.reason, 'NotFound');
  assert.equal(st.message, 'namespaces "nowhere" not found');
  assert.equal(st.details.kind, 'namespaces');
  assert.equal(st.details.name, 'nowhere');
});

test('deleting a namespace marks it Terminating and keeps it while spec.finalizers has "kubernetes"', async () => {
  await t.namespace('term');
  await t.post('/api/v1/namespaces/term/configmaps', configMap('inside'));
  const r = await t.call('DELETE', `${NS}/term`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Namespace');
  assert.equal(r.body.status.phase, 'Terminating');
  assert.ok(r.body.metadata!.deletionTimestamp);
  assert.deepEqual(r.body.spec.finalizers, ['kubernetes']);
  const got = await t.get(`${NS}/term`);
  assert.equal(got.status.phase, 'Terminating');
  // Listing by phase finds it.
  const terminating = await t.get(NS, { fieldSelector: 'status.phase=Terminating' });
  assert.deepEqual(
    terminating.items.map((n: any) => n.metadata.name),
    ['term'],
  );
  // Content may still be read, changed and deleted...
  await t.patch('/api/v1/namespaces/term/configmaps/inside', 'merge', { data: { b: '2' } });
  await t.del('/api/v1/namespaces/term/configmaps/inside');
  // ...but nothing new may be created: 403.
  const st = await t.fail('POST', '/api/v1/namespaces/term/configmaps', { body: configMap('late') });
  assert.equal(st.code, 403);
  assert.equal(st.reason, 'Forbidden');
  assert.equal(st.message, 'configmaps "late" is forbidden: unable to create new content in namespace term because it is being terminated');
  // A namespace of the same name cannot be created while the old one is there.
  const again = await t.fail('POST', NS, { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'term' } } });
  assert.equal(again.code, 409);
  assert.equal(again.reason, 'AlreadyExists');
  // A PUT of the namespace cannot drop spec.finalizers (only /finalize can), nor go back to Active.
  const put = await t.put(`${NS}/term`, { ...got, spec: { finalizers: [] }, status: { phase: 'Active' } });
  assert.deepEqual(put.spec.finalizers, ['kubernetes']);
  assert.equal(put.status.phase, 'Terminating');
  assert.ok(await t.exists(`${NS}/term`));
});

test('DELETE of a namespace that is already terminating answers the namespace again (200, no change)', async () => {
  // Since Kubernetes 1.17 (kubernetes/kubernetes#84122) this is no longer a 409 Conflict.
  await t.namespace('term-twice');
  const first = await t.del(`${NS}/term-twice`);
  const r = await t.call('DELETE', `${NS}/term-twice`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Namespace');
  assert.equal(r.body.status.phase, 'Terminating');
  assert.equal(r.body.metadata!.resourceVersion, first.metadata!.resourceVersion);
  assert.equal(r.body.metadata!.deletionTimestamp, first.metadata!.deletionTimestamp);
});

test('PUT namespaces/x/finalize with empty finalizers removes a terminating namespace', async () => {
  await t.namespace('fin');
  const w = await t.watch(NS, { fieldSelector: 'metadata.name=fin' });
  const marked = await t.del(`${NS}/fin`);
  const r = await t.call('PUT', `${NS}/fin/finalize`, { body: { ...marked, spec: { finalizers: [] } } });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Namespace');
  assert.equal(await t.exists(`${NS}/fin`), false);
  await w.until((e) => e.some((x) => x.type === 'DELETED'), 2000, 'DELETED');
  assert.deepEqual(
    w.summary().map((s) => s[0]),
    ['ADDED', 'MODIFIED', 'DELETED'],
  );
  // The name is free again.
  await t.namespace('fin');
  assert.equal((await t.get(`${NS}/fin`)).status.phase, 'Active');
});

test('finalize on an Active namespace only changes spec.finalizers', async () => {
  const ns = await t.post(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fin-active' } });
  const r = await t.put(`${NS}/fin-active/finalize`, { ...ns, spec: { finalizers: [] } });
  assert.deepEqual(r.spec?.finalizers ?? [], []);
  assert.equal(r.status.phase, 'Active');
  // Without finalizers, a delete removes it at once.
  const d = await t.call('DELETE', `${NS}/fin-active`);
  assert.equal(d.status, 200);
  assert.equal(await t.exists(`${NS}/fin-active`), false);
});

test('default, kube-system and kube-public cannot be deleted (403)', async () => {
  for (const name of ['default', 'kube-system', 'kube-public']) {
    const st = await t.fail('DELETE', `${NS}/${name}`);
    assert.equal(st.code, 403, name);
    assert.equal(st.reason, 'Forbidden');
    assert.equal(st.message, `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    assert.equal((await t.get(`${NS}/${name}`)).status.phase, 'Active');
  }
});

test('namespace names are DNS-1123 labels', async () => {
  const st = await t.fail('POST', NS, { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'has.dot' } } });
  assert.equal(st.code, 422);
  assert.equal(st.details.causes[0].field, 'metadata.name');
  assert.match(st.message, /^Namespace "has\.dot" is invalid: metadata\.name: Invalid value: "has\.dot": a lowercase RFC 1123 label must consist of/);
});
