// Failures are Kubernetes Status objects with the code, reason, message and details that
// kubectl and client libraries branch on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { ApiError } from '../../src/client/transport.js';
import { assertStatus, configMap, deployment, pod, TestApi, type CallOptions, type Method } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('err');
  await t.post('/api/v1/namespaces/err/configmaps', configMap('exists'));
});
after(() => t.close());

const CM = '/api/v1/namespaces/err/configmaps';
const DEP = '/apis/apps/v1/namespaces/err/deployments';

interface Case {
  what: string;
  method: Method;
  path: string;
  opts?: CallOptions;
  code: number;
  reason: string;
  message?: string | RegExp;
  details?: Record<string, unknown>;
}

const cases: Case[] = [
  {
    what: 'get a missing object',
    method: 'GET',
    path: `${CM}/nope`,
    code: 404,
    reason: 'NotFound',
    message: 'configmaps "nope" not found',
    details: { name: 'nope', kind: 'configmaps' },
  },
  {
    what: 'get a missing object of a named group',
    method: 'GET',
    path: `${DEP}/nope`,
    code: 404,
    reason: 'NotFound',
    message: 'deployments.apps "nope" not found',
    details: { name: 'nope', group: 'apps', kind: 'deployments' },
  },
  {
    what: 'create an existing name',
    method: 'POST',
    path: CM,
    opts: { body: configMap('exists') },
    code: 409,
    reason: 'AlreadyExists',
    message: 'configmaps "exists" already exists',
    details: { name: 'exists', kind: 'configmaps' },
  },
  {
    what: 'update a missing object',
    method: 'PUT',
    path: `${CM}/nope`,
    opts: { body: configMap('nope') },
    code: 404,
    reason: 'NotFound',
    message: 'configmaps "nope" not found',
  },
  { what: 'delete a missing object', method: 'DELETE', path: `${CM}/nope`, code: 404, reason: 'NotFound', message: 'configmaps "nope" not found' },
  {
    what: 'body namespace differs from the URL',
    method: 'POST',
    path: CM,
    opts: { body: configMap('x', {}, { namespace: 'other' }) },
    code: 400,
    reason: 'BadRequest',
    message: 'the namespace of the provided object does not match the namespace sent on the request',
  },
  {
    what: 'body name differs from the URL',
    method: 'PUT',
    path: `${CM}/exists`,
    opts: { body: configMap('other') },
    code: 400,
    reason: 'BadRequest',
    message: 'the name of the object (other) does not match the name on the URL (exists)',
  },
  {
    what: 'wrong kind in the body',
    method: 'POST',
    path: CM,
    opts: { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } } },
    code: 400,
    reason: 'BadRequest',
  },
  {
    what: 'resourceVersion set on create',
    method: 'POST',
    path: CM,
    opts: { body: configMap('rv', {}, { resourceVersion: '5' }) },
    code: 400,
    reason: 'BadRequest',
    message: 'resourceVersion should not be set on objects to be created',
  },
  {
    what: 'an unknown resource',
    method: 'GET',
    path: '/api/v1/namespaces/err/widgets',
    code: 404,
    reason: 'NotFound',
    message: 'the server could not find the requested resource',
  },
  {
    what: 'a verb the resource does not serve',
    method: 'POST',
    path: '/api/v1/componentstatuses',
    opts: { body: {} },
    code: 405,
    reason: 'MethodNotAllowed',
    message: 'create is not supported on resources of kind "componentstatuses"',
  },
  { what: 'a malformed label selector', method: 'GET', path: CM, opts: { query: { labelSelector: 'a in b' } }, code: 400, reason: 'BadRequest' },
  {
    what: 'an unsupported field selector',
    method: 'GET',
    path: CM,
    opts: { query: { fieldSelector: 'data.a=1' } },
    code: 400,
    reason: 'BadRequest',
    message: 'field label not supported: data.a',
  },
  {
    what: 'no name and no generateName',
    method: 'POST',
    path: CM,
    opts: { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} } },
    code: 422,
    reason: 'Invalid',
    message: 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required',
  },
  {
    what: 'creating in a missing namespace',
    method: 'POST',
    path: '/api/v1/namespaces/missing/configmaps',
    opts: { body: configMap('x') },
    code: 404,
    reason: 'NotFound',
    message: 'namespaces "missing" not found',
  },
  {
    what: 'deleting kube-system',
    method: 'DELETE',
    path: '/api/v1/namespaces/kube-system',
    code: 403,
    reason: 'Forbidden',
    message: 'namespaces "kube-system" is forbidden: this namespace may not be deleted',
  },
];

for (const c of cases) {
  test(`${c.what} → ${c.code} ${c.reason}`, async () => {
    const st = await t.fail(c.method, c.path, c.opts);
    assertStatus(st, c.code, c.reason, c.message);
    assert.deepEqual(st.metadata, {});
    assert.ok(st.message, 'a message');
    for (const [k, v] of Object.entries(c.details ?? {})) assert.equal(st.details?.[k], v, `details.${k}`);
  });
}

test('Invalid: causes name each field with its reason, and the message lists them all', async () => {
  const bad = deployment('bad', { replicas: -1, containers: [{ name: 'Web_1' }] });
  bad.metadata!.labels = { 'bad key!': 'v' };
  const st = await t.fail('POST', DEP, { body: bad });
  assertStatus(st, 422, 'Invalid');
  assert.equal(st.details.name, 'bad');
  assert.equal(st.details.kind, 'Deployment');
  assert.equal(st.details.group, 'apps');
  const causes: { reason: string; field: string; message: string }[] = st.details.causes;
  const byField = new Map(causes.map((c) => [c.field, c]));
  assert.equal(byField.get('spec.replicas')?.reason, 'FieldValueInvalid');
  assert.equal(byField.get('spec.replicas')?.message, 'Invalid value: -1: must be greater than or equal to 0');
  assert.equal(byField.get('spec.template.spec.containers[0].image')?.reason, 'FieldValueRequired');
  assert.equal(byField.get('spec.template.spec.containers[0].name')?.reason, 'FieldValueInvalid');
  assert.equal(byField.get('metadata.labels')?.reason, 'FieldValueInvalid');
  // Several causes: "<Kind> "<name>" is invalid: [f1: m1, f2: m2, ...]".
  assert.match(st.message, /^Deployment(\.apps)? "bad" is invalid: \[.*\]$/);
  for (const c of causes) assert.ok(st.message.includes(`${c.field}: ${c.message}`), `message lists ${c.field}`);
});

test('Invalid: an immutable field on update names the field', async () => {
  const d = await t.post(DEP, deployment('immut'));
  const st = await t.fail('PUT', `${DEP}/immut`, {
    body: { ...d, spec: { ...d.spec, selector: { matchLabels: { app: 'other' } }, template: { ...d.spec.template, metadata: { labels: { app: 'other' } } } } },
  });
  assertStatus(st, 422, 'Invalid', /spec\.selector: Invalid value: .*field is immutable/);
  assert.ok(st.details.causes.some((c: any) => c.field === 'spec.selector' && c.reason === 'FieldValueInvalid'));
});

test('Invalid: pod spec updates outside the mutable fields are forbidden', async () => {
  const p = await t.post('/api/v1/namespaces/err/pods', pod('immut-pod'));
  const st = await t.fail('PUT', '/api/v1/namespaces/err/pods/immut-pod', { body: { ...p, spec: { ...p.spec, restartPolicy: 'Never' } } });
  assertStatus(st, 422, 'Invalid', /^Pod "immut-pod" is invalid: spec: Forbidden: pod updates may not change fields other than/);
  assert.equal(st.details.causes[0].field, 'spec');
  assert.equal(st.details.causes[0].reason, 'FieldValueForbidden');
});

test('Invalid: the message names the kind with its group, as Kubernetes does (Deployment.apps)', async () => {
  const st = await t.fail('POST', DEP, { body: deployment('grp', { replicas: -1 }) });
  assert.equal(st.message, 'Deployment.apps "grp" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
});

test('a list at a resourceVersion the server has not reached → 504 Timeout with ResourceVersionTooLarge', async () => {
  const rv = (await t.store.currentRevision()) + 1000;
  const st = await t.fail('GET', CM, { query: { resourceVersion: String(rv) } });
  assertStatus(st, 504, 'Timeout', new RegExp(`^Timeout: Too large resource version: ${rv}, current: \\d+$`));
  assert.equal(st.details.retryAfterSeconds, 1);
  // client-go's IsTooLargeResourceVersion looks for this cause.
  assert.deepEqual(st.details.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
});

test('namespaces do not serve deletecollection (405)', async () => {
  await t.namespace('survivor');
  const st = await t.fail('DELETE', '/api/v1/namespaces', { query: { labelSelector: 'kubernetes.io/metadata.name=survivor' } });
  assert.equal(st.code, 405);
  assert.equal(st.reason, 'MethodNotAllowed');
  assert.ok(await t.exists('/api/v1/namespaces/survivor'));
});

test('the in-process client surfaces the same Status as an ApiError', async () => {
  const client = new Client(t.api.transport());
  await assert.rejects(client.configMaps.get('nope', 'err'), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 404);
    assert.equal(e.reason, 'NotFound');
    assert.equal(e.message, 'configmaps "nope" not found');
    assert.equal(e.status?.kind, 'Status');
    return true;
  });
  await assert.rejects(
    client.configMaps.create(configMap('exists', {}, { namespace: 'err' }) as any),
    (e: any) => e.code === 409 && e.reason === 'AlreadyExists',
  );
});
