// Server-side apply and managedFields through the in-process apiserver.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertStatus, deployment, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('ssa');
});
after(() => t.close());

const DEP = '/apis/apps/v1/namespaces/ssa/deployments';
const CM = '/api/v1/namespaces/ssa/configmaps';
const APPLY = 'application/apply-patch+yaml';

const apply = (path: string, body: unknown, manager: string, extra: Record<string, string> = {}) =>
  t.call('PATCH', path, { patch: APPLY, body, query: { fieldManager: manager, ...extra } });

const entry = (obj: any, manager: string, operation = 'Apply') =>
  (obj.metadata.managedFields as any[]).find((e) => e.manager === manager && e.operation === operation);

test('apply creates the object (201) and records an Apply entry in FieldsV1', async () => {
  const cfg = deployment('web', {
    replicas: 2,
    containers: [{ name: 'web', image: 'httpd:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] }],
  });
  const r = await apply(`${DEP}/web`, cfg, 'alice');
  assert.equal(r.status, 201);
  const obj = r.body as any;
  assert.equal(obj.spec.replicas, 2);
  assert.equal(obj.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'defaults apply after the merge');
  const e = entry(obj, 'alice');
  assert.ok(e, JSON.stringify(obj.metadata.managedFields));
  assert.equal(e.apiVersion, 'apps/v1');
  assert.equal(e.fieldsType, 'FieldsV1');
  assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const c = e.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}'];
  assert.deepEqual(Object.keys(c).sort(), ['.', 'f:env', 'f:image', 'f:name', 'f:ports']);
  assert.deepEqual(c['f:env'], { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } });
  assert.deepEqual(c['f:ports'], { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } });
  assert.deepEqual(e.fieldsV1['f:spec']['f:selector'], {}, 'a label selector is atomic');
  assert.equal(e.fieldsV1['f:metadata'], undefined, "name is nobody's field");
  assert.equal(e.fieldsV1['f:spec']['f:revisionHistoryLimit'], undefined, "defaulted fields are not the applier's");
});

test('fieldManager is required for apply (422); force is refused on other patches', async () => {
  const st = await t.fail('PATCH', `${DEP}/web`, { patch: APPLY, body: deployment('web') });
  assertStatus(st, 422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const f = await t.fail('PATCH', `${DEP}/web`, { patch: 'merge', body: {}, query: { force: 'true' } });
  assertStatus(f, 422, 'Invalid', /force: Forbidden: may not be specified for non-apply patch/);
  const v = await t.fail('PATCH', `${DEP}/web`, { patch: APPLY, body: { ...deployment('web'), apiVersion: 'apps/v1beta1' }, query: { fieldManager: 'x' } });
  assertStatus(v, 400, 'BadRequest', 'Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1');
});

test('a field the manager no longer applies is removed; a new list item is added', async () => {
  const cfg = deployment('web', { replicas: 2, containers: [{ name: 'web', image: 'httpd:1', ports: [{ containerPort: 80 }, { containerPort: 443 }] }] });
  const r = await apply(`${DEP}/web`, cfg, 'alice');
  assert.equal(r.status, 200);
  const c = (r.body as any).spec.template.spec.containers[0];
  assert.equal(c.env, undefined, 'env applied before and omitted now is gone');
  assert.deepEqual(
    c.ports.map((p: any) => p.containerPort),
    [80, 443],
  );
  const again = await apply(`${DEP}/web`, cfg, 'alice');
  assert.equal((again.body as any).metadata.resourceVersion, (r.body as any).metadata.resourceVersion, 'the same apply is a no-op');
});

test('a conflict with another applier is a 409 naming field and manager; force moves ownership', async () => {
  const st = await t.fail('PATCH', `${DEP}/web`, {
    patch: APPLY,
    body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } },
    query: { fieldManager: 'bob' },
  });
  assertStatus(st, 409, 'Conflict', 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas');
  assert.deepEqual(st.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' }]);
  // The same value is no conflict: both own it.
  const same = await apply(`${DEP}/web`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, 'carol');
  assert.ok(entry(same.body, 'carol').fieldsV1['f:spec']['f:replicas']);
  assert.ok(entry(same.body, 'alice').fieldsV1['f:spec']['f:replicas']);
  const forced = await apply(`${DEP}/web`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, 'bob', {
    force: 'true',
  });
  const obj = forced.body as any;
  assert.equal(obj.spec.replicas, 5);
  assert.equal(entry(obj, 'alice').fieldsV1['f:spec']['f:replicas'], undefined, 'alice lost spec.replicas');
  assert.equal(entry(obj, 'carol'), undefined, 'carol owned nothing else and is gone');
  assert.ok(entry(obj, 'bob').fieldsV1['f:spec']['f:replicas']);
  // Alice applying her old config without replicas now leaves them to bob.
  const cfg = deployment('web', { containers: [{ name: 'web', image: 'httpd:1', ports: [{ containerPort: 80 }, { containerPort: 443 }] }] });
  delete (cfg.spec as any).replicas;
  const r = await apply(`${DEP}/web`, cfg, 'alice');
  assert.equal((r.body as any).spec.replicas, 5);
});

test('several conflicts are listed per manager', async () => {
  await apply(`${CM}/multi`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'multi' }, data: { a: '1', b: '2' } }, 'one');
  const st = await t.fail('PATCH', `${CM}/multi`, {
    patch: APPLY,
    body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'multi' }, data: { a: 'x', b: 'y' } },
    query: { fieldManager: 'two' },
  });
  assertStatus(st, 409, 'Conflict', 'Apply failed with 2 conflicts: conflicts with "one":\n- .data.a\n- .data.b');
});

test('Update operations own what they change, take it from others, and show in conflicts', async () => {
  const created = await t.post(DEP, deployment('upd', { replicas: 1 }), { fieldManager: 'creator' });
  const c = entry(created, 'creator', 'Update');
  assert.equal(c.apiVersion, 'apps/v1');
  assert.ok(c.fieldsV1['f:spec']['f:replicas']);
  assert.ok(
    c.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:imagePullPolicy'],
    'defaults belong to the writer of an update',
  );
  assert.deepEqual(c.fieldsV1['f:metadata'], undefined);
  const patched = await t.patch(`${DEP}/upd`, 'merge', { spec: { replicas: 3 }, metadata: { labels: { tier: 'web' } } }, { fieldManager: 'scaler' });
  assert.equal(entry(patched, 'creator', 'Update').fieldsV1['f:spec']['f:replicas'], undefined);
  assert.deepEqual(entry(patched, 'scaler', 'Update').fieldsV1, { 'f:metadata': { 'f:labels': { '.': {}, 'f:tier': {} } }, 'f:spec': { 'f:replicas': {} } });
  const st = await t.fail('PATCH', `${DEP}/upd`, {
    patch: APPLY,
    body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'upd' }, spec: { replicas: 4 } },
    query: { fieldManager: 'applier' },
  });
  assertStatus(st, 409, 'Conflict', 'Apply failed with 1 conflict: conflict with "scaler" using apps/v1: .spec.replicas');
  // Without fieldManager the user agent names the manager.
  const req = t.request('PATCH', `${DEP}/upd`, { patch: 'merge', body: { spec: { minReadySeconds: 5 } } });
  const r = await t.api.handler.handle({ ...req, userAgent: 'kubectl/v1.32.0 (linux/amd64) kubernetes/abc' });
  assert.ok(entry(r.body, 'kubectl', 'Update').fieldsV1['f:spec']['f:minReadySeconds']);
});

test('a field another manager owns stays when the applier drops it', async () => {
  await apply(`${CM}/shared`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', labels: { x: '1' } }, data: { a: '1' } }, 'p');
  await apply(`${CM}/shared`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared', labels: { x: '1' } } }, 'q');
  const r = await apply(`${CM}/shared`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shared' } }, 'p');
  const obj = r.body as any;
  assert.deepEqual(obj.metadata.labels, { x: '1' }, 'q still owns the label');
  assert.equal(obj.data, undefined, 'only p owned data.a');
});

test('dryRun apply stores nothing; managedFields can be cleared with a single empty entry', async () => {
  const r = await apply(`${CM}/dry`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: '1' } }, 'p', { dryRun: 'All' });
  assert.equal(r.status, 201);
  assert.equal(await t.exists(`${CM}/dry`), false);
  const cm = await t.post(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'clear' }, data: { a: '1' } }, { fieldManager: 'w' });
  assert.equal(cm.metadata!.managedFields.length, 1);
  const cleared = await t.put(`${CM}/clear`, { ...cm, metadata: { ...cm.metadata, managedFields: [{}] } }, { fieldManager: 'w' });
  assert.equal(cleared.metadata!.managedFields, undefined);
});

test('apply through /status owns status fields under the status subresource', async () => {
  await t.post(DEP, deployment('st'), { fieldManager: 'creator' });
  const r = await apply(
    `${DEP}/st/status`,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'st' },
      status: { observedGeneration: 1, conditions: [{ type: 'Available', status: 'True' }] },
    },
    'ctrl',
  );
  const obj = r.body as any;
  assert.equal(obj.status.conditions[0].type, 'Available');
  const e = (obj.metadata.managedFields as any[]).find((x) => x.manager === 'ctrl');
  assert.equal(e.subresource, 'status');
  assert.ok(e.fieldsV1['f:status']['f:conditions']['k:{"type":"Available"}']);
  // Status in an apply to the main resource is ignored (the status subresource owns it).
  const main = await apply(`${DEP}/st`, { ...deployment('st'), status: { replicas: 7 } }, 'creator2');
  assert.equal((main.body as any).status.replicas, undefined);
});
