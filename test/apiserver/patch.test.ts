// PATCH (merge, JSON, strategic merge) and the scale subresource.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, deployment, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('patch');
});
after(() => t.close());

const CM = '/api/v1/namespaces/patch/configmaps';
const DEP = '/apis/apps/v1/namespaces/patch/deployments';

test('merge patch: objects merge, null deletes a key, lists are replaced', async () => {
  await t.post(CM, configMap('mp', { a: '1', b: '2' }, { labels: { keep: 'yes', drop: 'yes' } }));
  const p = await t.patch(`${CM}/mp`, 'merge', { metadata: { labels: { drop: null, added: 'x' } }, data: { b: null, c: '3' } });
  assert.deepEqual(p.data, { a: '1', c: '3' });
  assert.deepEqual(p.metadata!.labels, { keep: 'yes', added: 'x' });
  const f = await t.patch(`${CM}/mp`, 'merge', { metadata: { finalizers: ['example.com/a', 'example.com/b'] } });
  assert.deepEqual(f.metadata!.finalizers, ['example.com/a', 'example.com/b']);
  const g = await t.patch(`${CM}/mp`, 'merge', { metadata: { finalizers: ['example.com/b'] } });
  assert.deepEqual(g.metadata!.finalizers, ['example.com/b']);
  await t.patch(`${CM}/mp`, 'merge', { metadata: { finalizers: null } });
  const st = await t.fail('PATCH', `${CM}/missing`, { patch: 'merge', body: { data: { a: '1' } } });
  assert.equal(st.code, 404);
  assert.equal(st.message, 'configmaps "missing" not found');
});

test('JSON patch: add, replace, remove, test', async () => {
  await t.post(CM, configMap('jp', { a: '1', b: '2' }));
  const p = await t.patch(`${CM}/jp`, 'json', [
    { op: 'test', path: '/data/a', value: '1' },
    { op: 'replace', path: '/data/a', value: 'one' },
    { op: 'remove', path: '/data/b' },
    { op: 'add', path: '/metadata/labels', value: { x: 'y' } },
  ]);
  assert.deepEqual(p.data, { a: 'one' });
  assert.deepEqual(p.metadata!.labels, { x: 'y' });
});

test('JSON patch: a failing test op (or a missing path) → 422 and nothing is written', async () => {
  const cm = await t.post(CM, configMap('jp-fail', { a: '1' }));
  const st = await t.fail('PATCH', `${CM}/jp-fail`, {
    patch: 'json',
    body: [
      { op: 'replace', path: '/data/a', value: '2' },
      { op: 'test', path: '/data/a', value: 'nope' },
    ],
  });
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.equal(st.message, 'the server rejected our request due to an error in our request');
  const missing = await t.fail('PATCH', `${CM}/jp-fail`, { patch: 'json', body: [{ op: 'remove', path: '/data/zzz' }] });
  assert.equal(missing.code, 422);
  assert.equal(missing.reason, 'Invalid');
  const now = await t.get(`${CM}/jp-fail`);
  assert.equal(now.data.a, '1');
  assert.equal(now.metadata!.resourceVersion, cm.metadata!.resourceVersion);
  // A body that is not a list of operations is a 400.
  const notList = await t.fail('PATCH', `${CM}/jp-fail`, { patch: 'json', body: { op: 'add' } });
  assert.equal(notList.code, 400);
  assert.equal(notList.reason, 'BadRequest');
});

test('strategic merge patch on a Deployment merges containers by name', async () => {
  await t.post(
    DEP,
    deployment('smp', {
      containers: [
        { name: 'web', image: 'httpd:1', env: [{ name: 'KEEP', value: 'k' }] },
        { name: 'sidecar', image: 'busybox:1' },
      ],
    }),
  );
  const containers = async () => (await t.get(`${DEP}/smp`)).spec.template.spec.containers;

  // Update the image of one container: the other is untouched.
  await t.patch(`${DEP}/smp`, 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', image: 'httpd:2' }] } } } });
  let cs = await containers();
  assert.deepEqual(
    cs.map((c: any) => [c.name, c.image]),
    [
      ['web', 'httpd:2'],
      ['sidecar', 'busybox:1'],
    ],
  );
  assert.deepEqual(cs[0].env, [{ name: 'KEEP', value: 'k' }]);

  // Add env to another container; env merges by name too.
  await t.patch(`${DEP}/smp`, 'strategic', { spec: { template: { spec: { containers: [{ name: 'sidecar', env: [{ name: 'A', value: '1' }] }] } } } });
  await t.patch(`${DEP}/smp`, 'strategic', { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'NEW', value: 'n' }] }] } } } });
  cs = await containers();
  assert.deepEqual(cs[1].env, [{ name: 'A', value: '1' }]);
  assert.deepEqual(cs[0].env.map((e: any) => e.name).sort(), ['KEEP', 'NEW']);

  // $patch: delete removes one container.
  const d = await t.patch(`${DEP}/smp`, 'strategic', { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } });
  assert.deepEqual(
    d.spec.template.spec.containers.map((c: any) => c.name),
    ['web'],
  );
  // Each template change is a new generation.
  assert.equal(d.metadata!.generation, 5);

  // A new container named only in the patch goes first (Kubernetes' mergeSortedSlice puts patch
  // items before server-only ones they cannot be ordered against); null still deletes map keys.
  const a = await t.patch(`${DEP}/smp`, 'strategic', {
    metadata: { labels: { x: 'y' } },
    spec: { template: { spec: { containers: [{ name: 'extra', image: 'busybox:2' }] } } },
  });
  assert.deepEqual(
    a.spec.template.spec.containers.map((c: any) => c.name),
    ['extra', 'web'],
  );
  const n = await t.patch(`${DEP}/smp`, 'strategic', { metadata: { labels: { x: null } } });
  assert.equal(n.metadata!.labels?.x, undefined);
});

test('a patch carrying a stale metadata.resourceVersion → 409 Conflict; the current one applies', async () => {
  const cm = await t.post(CM, configMap('rvp'));
  const cur = await t.patch(`${CM}/rvp`, 'merge', { data: { a: '2' } });
  for (const type of ['merge', 'strategic']) {
    const st = await t.fail('PATCH', `${CM}/rvp`, { patch: type, body: { metadata: { resourceVersion: cm.metadata!.resourceVersion }, data: { a: '3' } } });
    assert.equal(st.code, 409);
    assert.equal(st.reason, 'Conflict');
    assert.equal(
      st.message,
      'Operation cannot be fulfilled on configmaps "rvp": the object has been modified; please apply your changes to the latest version and try again',
    );
  }
  const ok = await t.patch(`${CM}/rvp`, 'merge', { metadata: { resourceVersion: cur.metadata!.resourceVersion }, data: { a: '4' } });
  assert.equal(ok.data.a, '4');
});

test('a patch may not change the name or the kind', async () => {
  await t.post(CM, configMap('ident'));
  const name = await t.fail('PATCH', `${CM}/ident`, { patch: 'merge', body: { metadata: { name: 'other' } } });
  assert.equal(name.code, 400);
  const kind = await t.fail('PATCH', `${CM}/ident`, { patch: 'merge', body: { kind: 'Secret' } });
  assert.equal(kind.code, 400);
  const media = await t.fail('PATCH', `${CM}/ident`, { patch: 'application/json', body: { data: {} } });
  assert.equal(media.code, 415);
  assert.equal(media.reason, 'UnsupportedMediaType');
});

test('scale subresource: GET returns an autoscaling/v1 Scale', async () => {
  const d = await t.post(DEP, deployment('sc', { replicas: 2 }));
  const s = await t.get(`${DEP}/sc/scale`);
  assert.equal(s.kind, 'Scale');
  assert.equal(s.apiVersion, 'autoscaling/v1');
  assert.equal(s.metadata!.name, 'sc');
  assert.equal(s.metadata!.namespace, 'patch');
  assert.equal(s.metadata!.uid, d.metadata!.uid);
  assert.equal(s.metadata!.resourceVersion, d.metadata!.resourceVersion);
  assert.deepEqual(s.spec, { replicas: 2 });
  assert.equal(s.status.replicas, 0);
  assert.equal(s.status.selector, 'app=sc');
});

test('scale subresource: PUT and PATCH change spec.replicas (and the generation)', async () => {
  const d = await t.post(DEP, deployment('sc2', { replicas: 1 }));
  const s = await t.get(`${DEP}/sc2/scale`);
  const put = await t.put(`${DEP}/sc2/scale`, { ...s, spec: { replicas: 5 } });
  assert.equal(put.kind, 'Scale');
  assert.equal(put.spec.replicas, 5);
  const dep = await t.get(`${DEP}/sc2`);
  assert.equal(dep.spec.replicas, 5);
  assert.equal(dep.metadata!.generation, d.metadata!.generation + 1);
  assert.equal(put.metadata!.resourceVersion, dep.metadata!.resourceVersion);
  const patched = await t.patch(`${DEP}/sc2/scale`, 'merge', { spec: { replicas: 0 } });
  assert.equal(patched.spec.replicas, 0);
  assert.equal((await t.get(`${DEP}/sc2`)).spec.replicas, 0);
  // A stale resourceVersion in the Scale: 409.
  const stale = await t.fail('PUT', `${DEP}/sc2/scale`, { body: { ...s, spec: { replicas: 3 } } });
  assert.equal(stale.code, 409);
});

test('scale subresource: invalid replicas → 422 Invalid on spec.replicas; a missing deployment → 404', async () => {
  await t.post(DEP, deployment('sc3'));
  const st = await t.fail('PUT', `${DEP}/sc3/scale`, {
    body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sc3', namespace: 'patch' }, spec: { replicas: -1 } },
  });
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.match(st.message, /"sc3" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0$/);
  assert.equal(st.details.kind, 'Scale');
  assert.equal(st.details.group, 'autoscaling');
  assert.equal(st.details.causes[0].field, 'spec.replicas');
  assert.equal((await t.get(`${DEP}/sc3`)).spec.replicas, 1);
  const missing = await t.fail('GET', `${DEP}/nope/scale`);
  assert.equal(missing.code, 404);
  assert.equal(missing.message, 'deployments.apps "nope" not found');
});

test("strategic merge patch leaving a wrong shape: kube-apiserver's converter errors (map, slice, struct)", async () => {
  await t.post('/api/v1/namespaces/default/configmaps', configMap('smp-shape', { a: '1' }));
  const labels = await t.fail('PATCH', '/api/v1/namespaces/default/configmaps/smp-shape', { patch: 'strategic', body: { metadata: { labels: 'x' } } });
  assert.equal(labels.code, 422);
  assert.equal(labels.reason, 'Invalid');
  assert.equal(labels.message, ' "" is invalid: patch: Invalid value: "map[metadata:map[labels:x]]": cannot restore map from string');
  assert.deepEqual(labels.details, {
    causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: "map[metadata:map[labels:x]]": cannot restore map from string', field: 'patch' }],
  });
  const owners = await t.fail('PATCH', '/api/v1/namespaces/default/configmaps/smp-shape', { patch: 'strategic', body: { metadata: { finalizers: 5 } } });
  assert.match(owners.message, /: cannot restore slice from int64$/);
  const meta = await t.fail('PATCH', '/api/v1/namespaces/default/configmaps/smp-shape', { patch: 'strategic', body: { metadata: 'm' } });
  assert.match(meta.message, /: cannot restore struct from: string$/);
});
