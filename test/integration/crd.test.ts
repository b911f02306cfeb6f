// CustomResourceDefinitions with the real kubectl against `skiff server`: a CRD is served
// within a second, its objects are validated, defaulted and pruned by the schema, printed
// with its printer columns, scaled through the scale subresource, and deleted with it.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { rawClient } from '../helpers/raw.js';
import { startServer, type TestServer, kubectlOk } from '../helpers/server.js';

const FIXTURE = resolve(new URL('../../../test/fixtures/crontab-crd.yaml', import.meta.url).pathname);
let s: TestServer;
let raw: ReturnType<typeof rawClient>;

before(async () => {
  s = await startServer();
  raw = rawClient(s.kubeconfig);
});
after(async () => {
  raw?.agent.destroy();
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

async function fails(args: string[], input?: string): Promise<string> {
  const r = await s.kubectl(args, { input });
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed:\n${r.stdout}`);
  return r.stderr;
}

function cronTab(name: string, spec: string, apiVersion = 'stable.example.com/v1'): string {
  return `apiVersion: ${apiVersion}\nkind: CronTab\nmetadata:\n  name: ${name}\nspec: ${spec}\n`;
}

test('a CRD applied with kubectl is served within 1 s: get by plural and short name, api-resources', async () => {
  await ok(['apply', '-f', FIXTURE]);
  const applied = Date.now();
  let served = -1;
  for (let i = 0; i < 40 && served < 0; i++) {
    const r = await s.kubectl(['get', 'crontabs']);
    if (r.code === 0) served = Date.now() - applied;
  }
  assert.ok(served >= 0, 'kubectl get crontabs never succeeded');
  // The first successful get includes kubectl's own start-up and discovery (~100-300 ms).
  assert.ok(served < 1000, `served after ${served} ms`);
  await ok(['get', 'ct']);
  const res = await ok(['api-resources', '--api-group=stable.example.com', '--no-headers']);
  assert.match(res, /^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab\s*$/m);
  const crd = JSON.parse(await ok(['get', 'crd', 'crontabs.stable.example.com', '-o', 'json']));
  const est = crd.status.conditions.find((c: any) => c.type === 'Established');
  assert.equal(est.status, 'True');
  const table = await ok(['get', 'crd']);
  assert.match(table, /^NAME\s+CREATED AT\s*$/m);
  assert.match(table, /^crontabs\.stable\.example\.com\s+\d{4}-\d{2}-\d{2}T/m);
});

test('over raw HTTPS: a created CRD appears in discovery within 1 s', async (t) => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'gadgets.timing.example.org' },
    spec: {
      group: 'timing.example.org',
      scope: 'Namespaced',
      names: { plural: 'gadgets', kind: 'Gadget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  const r = await raw.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify(crd));
  assert.equal(r.status, 201, r.body);
  const created = Date.now();
  let ms = -1;
  while (Date.now() - created < 2000) {
    const d = await raw.request('GET', '/apis/timing.example.org/v1');
    if (d.status === 200 && d.json().resources.some((x: any) => x.name === 'gadgets')) {
      ms = Date.now() - created;
      break;
    }
  }
  t.diagnostic(`CRD created → served in discovery: ${ms} ms`);
  assert.ok(ms >= 0 && ms < 1000, `served after ${ms} ms`);
});

test('an invalid custom object is refused with the schema error and its field path', async () => {
  const err = await fails(['apply', '-f', '-'], cronTab('bad', '{cronSpec: "* * * * */5", replicas: "three"}'));
  assert.match(err, /The CronTab "bad" is invalid: spec\.replicas: Invalid value: "three": spec\.replicas in body must be of type integer: "string"/);
  const r = await raw.request(
    'POST',
    '/apis/stable.example.com/v1/namespaces/default/crontabs',
    JSON.stringify({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'bad' }, spec: { cronSpec: 'x' } }),
  );
  assert.equal(r.status, 422);
  assert.equal(r.json().details.causes[0].field, 'spec.cronSpec');
  const missing = await fails(['apply', '-f', '-'], cronTab('bad', '{image: nginx}'));
  assert.match(missing, /spec\.cronSpec: Required value/);
});

test('defaults from the schema are filled; unknown fields are pruned', async () => {
  await ok(['apply', '-f', '-'], cronTab('web', '{cronSpec: "* * * * */5", image: nginx}'));
  assert.equal(await ok(['get', 'ct', 'web', '-o', 'jsonpath={.spec.replicas}']), '1');
  await ok(['apply', '--validate=false', '-f', '-'], cronTab('loose', '{cronSpec: "* * * * */5", bogus: 1}'));
  const spec = JSON.parse(await ok(['get', 'ct', 'loose', '-o', 'jsonpath={.spec}']));
  assert.deepEqual(spec, { cronSpec: '* * * * */5', replicas: 1 });
});

test('kubectl get shows the printer columns', async () => {
  const out = await ok(['get', 'crontabs']);
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /^NAME\s+SPEC\s+REPLICAS\s+AGE$/);
  assert.match(out, /^web\s+\* \* \* \* \*\/5\s+1\s+\d+s$/m);
  const wide = await ok(['get', 'ct', 'web', '-o', 'wide']);
  assert.match(wide, /^NAME\s+SPEC\s+REPLICAS\s+AGE$/m);
});

test('kubectl scale works through the scale subresource', async () => {
  assert.match(await ok(['scale', 'ct', 'web', '--replicas=3']), /crontab\.stable\.example\.com\/web scaled/);
  assert.equal(await ok(['get', 'ct', 'web', '-o', 'jsonpath={.spec.replicas}']), '3');
  const scale = JSON.parse(await ok(['get', 'ct', 'web', '--subresource=scale', '-o', 'json']));
  assert.equal(scale.kind, 'Scale');
  assert.equal(scale.spec.replicas, 3);
  const err = await fails(['scale', 'ct', 'web', '--replicas=11']);
  assert.match(err, /spec\.replicas in body should be less than or equal to 10/);
});

test('status subresource: status is written only through /status', async () => {
  await ok(['patch', 'ct', 'web', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":2}}']);
  assert.equal(await ok(['get', 'ct', 'web', '-o', 'jsonpath={.status.replicas}']), '2');
  await ok(['patch', 'ct', 'web', '--type=merge', '-p', '{"status":{"replicas":9},"spec":{"image":"httpd"}}']);
  assert.equal(await ok(['get', 'ct', 'web', '-o', 'jsonpath={.status.replicas} {.spec.image}']), '2 httpd');
});

test('a second served version returns the same objects under its own apiVersion', async () => {
  assert.equal(await ok(['get', 'crontabs.v1beta1.stable.example.com', 'web', '-o', 'jsonpath={.apiVersion}']), 'stable.example.com/v1beta1');
  await ok(['apply', '-f', '-'], cronTab('beta', '{cronSpec: "* * * * *"}', 'stable.example.com/v1beta1'));
  assert.equal(await ok(['get', 'ct', 'beta', '-o', 'jsonpath={.apiVersion}']), 'stable.example.com/v1');
});

test('kubectl explain describes a custom resource from its schema', async (t) => {
  const r = await s.kubectl(['explain', 'crontab.spec']);
  if (r.code !== 0 && /does not exist/.test(r.stderr)) {
    t.skip('the OpenAPI documents do not carry custom resource schemas yet');
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /KIND:\s+CronTab/);
  assert.match(r.stdout, /cronSpec\s+<string>/);
  assert.match(r.stdout, /The schedule in cron format\./);
});

test('a cluster-scoped CRD serves cluster-scoped objects', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.org' },
    spec: {
      group: 'example.org',
      scope: 'Cluster',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
        },
      ],
    },
  };
  await ok(['apply', '-f', '-'], JSON.stringify(crd));
  let r = await s.kubectl(['get', 'widgets']);
  for (let i = 0; i < 20 && r.code !== 0; i++) r = await s.kubectl(['get', 'widgets']);
  await ok(['apply', '-f', '-'], 'apiVersion: example.org/v1alpha1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3, nested: {a: b}}\n');
  const w = JSON.parse(await ok(['get', 'widget', 'w1', '-o', 'json']));
  assert.deepEqual(w.spec, { size: 3, nested: { a: 'b' } });
  assert.equal(w.metadata.namespace, undefined);
  assert.match(await ok(['get', 'widgets']), /^NAME\s+AGE\nw1\s+\d+s\n$/);
});

test('re-applying a custom object with kubectl changes it (client-side apply: merge patch)', async () => {
  await ok(['apply', '-f', '-'], cronTab('reapply', '{cronSpec: "* * * * */5", image: nginx, replicas: 2}'));
  await ok(['apply', '-f', '-'], cronTab('reapply', '{cronSpec: "* * * * */5", replicas: 4}'));
  const spec = JSON.parse(await ok(['get', 'ct', 'reapply', '-o', 'jsonpath={.spec}']));
  assert.deepEqual(spec, { cronSpec: '* * * * */5', replicas: 4 });
});

test('after a restart, stored CRDs are served before the server reports ready', async () => {
  await s.stop();
  s = await startServer({ dataDir: s.dataDir });
  raw.agent.destroy();
  raw = rawClient(s.kubeconfig);
  const out = await ok(['get', 'ct', 'reapply', '-o', 'jsonpath={.spec.replicas}']);
  assert.equal(out, '4');
});

test('deleting the CRD deletes its objects and removes the resource from discovery', async () => {
  await ok(['delete', 'crd', 'crontabs.stable.example.com', '--timeout=10s']);
  const res = await ok(['api-resources', '--no-headers']);
  assert.doesNotMatch(res, /crontabs/);
  const r = await raw.request('GET', '/apis/stable.example.com/v1/namespaces/default/crontabs');
  assert.equal(r.status, 404);
  // Recreating the CRD shows that no object survived.
  await ok(['apply', '-f', FIXTURE]);
  let list = await s.kubectl(['get', 'crontabs', '-o', 'name']);
  for (let i = 0; i < 20 && list.code !== 0; i++) list = await s.kubectl(['get', 'crontabs', '-o', 'name']);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout.trim(), '');
});
