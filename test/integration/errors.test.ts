// Bad input gets a Kubernetes Status with the right code, reason and field path.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { rawClient } from '../helpers/raw.js';

let s: TestServer;
let raw: ReturnType<typeof rawClient>;

before(async () => {
  s = await startServer();
  raw = rawClient(s.kubeconfig);
});
after(async () => {
  raw?.close();
  await s?.cleanup();
});

const cm = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: '1' } });

test('create of an existing name → 409 AlreadyExists', async () => {
  assert.equal((await raw.request('POST', '/api/v1/namespaces/default/configmaps', cm('twice'))).status, 201);
  const r = await raw.request('POST', '/api/v1/namespaces/default/configmaps', cm('twice'));
  assert.equal(r.status, 409);
  const st = r.json();
  assert.equal(st.kind, 'Status');
  assert.equal(st.reason, 'AlreadyExists');
  assert.equal(st.message, 'configmaps "twice" already exists');
  assert.equal(st.details.name, 'twice');
});

test('update with a stale resourceVersion → 409 Conflict', async () => {
  const created = (await raw.request('POST', '/api/v1/namespaces/default/configmaps', cm('stale'))).json();
  const first = { ...created, data: { a: '2' } };
  assert.equal((await raw.request('PUT', '/api/v1/namespaces/default/configmaps/stale', JSON.stringify(first))).status, 200);
  const r = await raw.request('PUT', '/api/v1/namespaces/default/configmaps/stale', JSON.stringify({ ...created, data: { a: '3' } }));
  assert.equal(r.status, 409);
  assert.equal(r.json().reason, 'Conflict');
  assert.match(r.json().message, /the object has been modified; please apply your changes to the latest version and try again/);
  const now = (await raw.request('GET', '/api/v1/namespaces/default/configmaps/stale')).json();
  assert.equal(now.data.a, '2', 'the conflicting write did not land');
});

test('malformed JSON and YAML → 400 BadRequest', async () => {
  const j = await raw.request('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion": "v1", "kind": ');
  assert.equal(j.status, 400);
  assert.equal(j.json().reason, 'BadRequest');
  const y = await raw.request('POST', '/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata: [name: x\n', {
    'Content-Type': 'application/yaml',
  });
  assert.equal(y.status, 400);
  assert.equal(y.json().reason, 'BadRequest');
});

test('an invalid name → 422 Invalid naming the field', async () => {
  const r = await raw.request('POST', '/api/v1/namespaces/default/configmaps', cm('Not_Valid'));
  assert.equal(r.status, 422);
  const st = r.json();
  assert.equal(st.reason, 'Invalid');
  assert.equal(st.details.kind, 'ConfigMap');
  assert.equal(st.details.causes[0].field, 'metadata.name');
  assert.equal(st.details.causes[0].reason, 'FieldValueInvalid');
  assert.match(st.message, /^ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/);
});

test('a Deployment whose selector does not match its template → 422 with the field path', async () => {
  const body = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'mismatch' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  };
  const r = await raw.request('POST', '/apis/apps/v1/namespaces/default/deployments', JSON.stringify(body));
  assert.equal(r.status, 422, r.body);
  const fields = r.json().details.causes.map((c: { field: string }) => c.field);
  assert.ok(fields.includes('spec.template.metadata.labels'), fields.join(','));
});

test('an unknown resource → 404', async () => {
  const r = await raw.request('GET', '/api/v1/namespaces/default/widgets');
  assert.equal(r.status, 404);
  assert.equal(r.json().reason, 'NotFound');
  const g = await raw.request('GET', '/apis/nosuch.example.com/v1/things');
  assert.equal(g.status, 404);
  const missing = await raw.request('GET', '/api/v1/namespaces/default/configmaps/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json().message, 'configmaps "nope" not found');
});

test('a body over 3 MiB → 413', async () => {
  const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } });
  const r = await raw.request('POST', '/api/v1/namespaces/default/configmaps', big);
  assert.equal(r.status, 413);
  assert.equal(r.json().reason, 'RequestEntityTooLarge');
  assert.equal((await raw.request('GET', '/api/v1/namespaces/default/configmaps/huge')).status, 404);
});

test('objects in a missing namespace → 404 naming the namespace', async () => {
  const r = await raw.request('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'));
  assert.equal(r.status, 404);
  assert.equal(r.json().message, 'namespaces "nowhere" not found');
});

test('requests without credentials are system:anonymous → 403, bad credentials → 401, health stays public', async () => {
  const https = await import('node:https');
  const url = new URL(s.url);
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      https
        .get({ host: url.hostname, port: url.port, path, headers, rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
  assert.equal(await get('/api/v1/namespaces'), 403);
  assert.equal(await get('/api/v1/namespaces', { Authorization: 'Bearer not-a-token' }), 401);
  assert.equal(await get('/readyz'), 200);
});

test('Services get a cluster IP from the service CIDR and node ports from 30000-32767', async () => {
  const svc = (name: string, spec: Record<string, unknown>) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });
  const a = (await raw.request('POST', '/api/v1/namespaces/default/services', svc('alloc-a', { selector: { app: 'a' } }))).json();
  assert.match(a.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
  assert.deepEqual(a.spec.clusterIPs, [a.spec.clusterIP]);
  const np = (await raw.request('POST', '/api/v1/namespaces/default/services', svc('alloc-np', { type: 'NodePort' }))).json();
  assert.ok(np.spec.ports[0].nodePort >= 30000 && np.spec.ports[0].nodePort <= 32767);
  const taken = await raw.request('POST', '/api/v1/namespaces/default/services', svc('alloc-dup', { clusterIP: a.spec.clusterIP }));
  assert.equal(taken.status, 422);
  assert.match(taken.json().message, /provided IP is already allocated/);
  const headless = (await raw.request('POST', '/api/v1/namespaces/default/services', svc('alloc-headless', { clusterIP: 'None' }))).json();
  assert.equal(headless.spec.clusterIP, 'None');
  const k = (await raw.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json();
  assert.equal(k.spec.clusterIP, '10.43.0.1');
});
