// Hostile single requests: each gets a 4xx Status with Kubernetes' wording, and the server
// stays ready (within 1 s) and small afterwards.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { rawClient } from '../helpers/raw.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertHealthy } from './harness.js';

// An idle server is ~150 MiB; none of these requests may leave it much bigger.
const RSS_BOUND_MIB = 600;

let s: TestServer;
let raw: ReturnType<typeof rawClient>;
const CMS = '/api/v1/namespaces/default/configmaps';

before(async () => {
  s = await startServer();
  raw = rawClient(s.kubeconfig);
  assert.equal(
    (await raw.request('POST', CMS, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' }, data: { a: 'x' } }))).status,
    201,
  );
});
afterEach(async () => assertHealthy(s, RSS_BOUND_MIB));
after(async () => {
  raw?.close();
  await s?.cleanup();
});

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

test('a body nested 10,000 deep is a 400, not a stack overflow', async () => {
  const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${nested(10_000)}}`;
  const r = await raw.request('POST', CMS, body);
  assert.equal(r.status, 400, r.body);
  assert.match(r.json().message, /exceeded max depth/);
  const arrays = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
  assert.equal((await raw.request('POST', CMS, arrays)).status, 400);
});

test('merge and strategic patches nested 10,000 deep are 400', async () => {
  for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
    const r = await raw.request('PATCH', `${CMS}/target`, `{"metadata":${nested(10_000)}}`, { 'Content-Type': type });
    assert.equal(r.status, 400, `${type}: ${r.body}`);
    assert.match(r.json().message, /exceeded max depth/);
  }
});

test('YAML flow collections nested 10,000 deep, and an alias bomb, are 400', async () => {
  const deep = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deepyaml}\nx: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
  const r = await raw.request('POST', CMS, deep, { 'Content-Type': 'application/yaml' });
  assert.equal(r.status, 400, r.body);
  const lines = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    );
  const bomb = await raw.request('POST', CMS, `${lines.join('\n')}\n`, { 'Content-Type': 'application/yaml' });
  assert.equal(bomb.status, 400, bomb.body.slice(0, 500));
  assert.equal(bomb.json().message, 'error converting YAML to JSON: yaml: document contains excessive aliasing');
});

test('a JSON patch of 25 doubling copies is refused at the copy limit, with a small error', async () => {
  const ops: unknown[] = [{ op: 'add', path: '/metadata/annotations', value: { x: 'y'.repeat(1000) } }];
  for (let i = 0; i < 25; i++) ops.push({ op: 'copy', from: '/metadata/annotations', path: `/metadata/annotations/c${i}` });
  const r = await raw.request('PATCH', `${CMS}/target`, JSON.stringify(ops), { 'Content-Type': 'application/json-patch+json' });
  assert.equal(r.status, 422, r.body.slice(0, 500));
  assert.ok(r.body.length < 4096, `error body of ${r.body.length} bytes`);
  assert.match(r.json().details.causes[0].message, /^Unable to complete the copy, the accumulated size increase of copy is \d+, exceeding the limit 3145728$/);
});

test('a JSON patch whose failure would quote megabytes gets a capped error body', async () => {
  const ops = [{ op: 'test', path: `/metadata/${'p'.repeat(2_000_000)}`, value: 1 }];
  const r = await raw.request('PATCH', `${CMS}/target`, JSON.stringify(ops), { 'Content-Type': 'application/json-patch+json' });
  assert.equal(r.status, 422);
  assert.ok(r.body.length < 64 * 1024, `error body of ${r.body.length} bytes`);
});

test('escapes that do not decode are 400; . and .. never name another object', async () => {
  const bad = await raw.request('GET', `${CMS}/%ff%fe`);
  assert.equal(bad.status, 400, bad.body);
  assert.equal(bad.json().kind, 'Status');
  const zz = await raw.request('GET', `${CMS}/%zz`);
  assert.equal(zz.status, 400);
  assert.equal(zz.json().message, 'invalid URL escape "%zz"');
  for (const name of ['%2e%2e', '..', '%2E%2e']) {
    const r = await raw.request('GET', `${CMS}/${name}`);
    assert.equal(r.status, 400, `${name}: ${r.body}`);
    assert.equal(r.json().message, `Name parameter invalid: "..": may not be '..'`);
  }
  const dot = await raw.request('GET', `${CMS}/.`);
  assert.equal(dot.status, 400);
  assert.equal(dot.json().message, `Name parameter invalid: ".": may not be '.'`);
  const ns = await raw.request('GET', '/api/v1/namespaces/%2e%2e/configmaps/target');
  assert.equal(ns.status, 400);
  assert.equal(ns.json().message, `Namespace parameter invalid: "..": may not be '..'`);
  const slash = await raw.request('GET', `${CMS}/a%2Fb`);
  assert.equal(slash.status, 400);
  assert.equal(slash.json().message, `Name parameter invalid: "a/b": may not contain '/'`);
});

test('int32 fields hold int32: replicas 2^31 and 1e12, ports of 2^32 are 400', async () => {
  const dep = (replicas: number, name: string) =>
    `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"${name}"},"spec":{"replicas":${replicas},"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox","ports":[{"containerPort":80}]}]}}}}`;
  const r = await raw.request('POST', '/apis/apps/v1/namespaces/default/deployments', dep(2 ** 31, 'big'));
  assert.equal(r.status, 400, r.body);
  assert.equal(
    r.json().message,
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  assert.equal((await raw.request('POST', '/apis/apps/v1/namespaces/default/deployments', dep(1e12, 'huge'))).status, 400);
  // A port inside a list inside the template: the path names the fields, as Go's decoder does.
  const port = dep(1, 'port').replace('"containerPort":80', '"containerPort":4294967296');
  const p = await raw.request('POST', '/apis/apps/v1/namespaces/default/deployments', port);
  assert.equal(p.status, 400);
  assert.match(p.json().message, /Go struct field ContainerPort\.spec\.template\.spec\.containers\.ports\.containerPort of type int32$/);
  // Scaling through the scale subresource with a merge patch is checked the same way.
  assert.equal((await raw.request('POST', '/apis/apps/v1/namespaces/default/deployments', dep(0, 'ok'))).status, 201);
  const patched = await raw.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/ok', '{"spec":{"replicas":2147483648}}', {
    'Content-Type': 'application/merge-patch+json',
  });
  assert.equal(patched.status, 400, patched.body);
});

test('ConfigMap data over 1 MiB is 422; an object over 1.5 MiB encoded is 413', async () => {
  const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } });
  const r = await raw.request('POST', CMS, big);
  assert.equal(r.status, 422, r.body.slice(0, 300));
  assert.equal(r.json().message, 'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes');
  const secret = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'big' }, data: { a: Buffer.alloc(1024 * 1024 + 1).toString('base64') } });
  const sr = await raw.request('POST', '/api/v1/namespaces/default/secrets', secret);
  assert.equal(sr.status, 422);
  // 1 MiB of binaryData (1.4 MB as base64) and 250 KB of annotations: valid, but over etcd's request limit.
  const huge = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'huge', annotations: { a: 'y'.repeat(250_000) } },
    binaryData: { b: Buffer.alloc(1024 * 1024 - 10).toString('base64') },
  });
  const h = await raw.request('POST', CMS, huge);
  assert.equal(h.status, 413, h.body.slice(0, 300));
  assert.equal(h.json().reason, 'RequestEntityTooLarge');
  assert.equal(h.json().message, 'Request entity too large: etcdserver: request is too large');
  assert.equal((await raw.request('GET', `${CMS}/huge`)).status, 404);
});
