// An API group served by another component through the apiserver (as metrics.k8s.io is):
// requests for its group reach it whole, its failures come back as Status errors (also
// over the in-process transport components use), watch is refused, and built-in groups
// are untouched.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { failure, type AggregatedApiServer, type AggregatedRequest } from '../../src/api/aggregated.js';
import { group, groupList, resourceList, aggregated } from '../../src/apiserver/discovery.js';
import { Client } from '../../src/client/client.js';
import { ApiError } from '../../src/client/transport.js';
import { assertStatus, TestApi } from './setup.js';

let t: TestApi;
const seen: AggregatedRequest[] = [];
const widgets: AggregatedApiServer = {
  group: 'widgets.example.io',
  versions: ['v1'],
  resources: () => [{ name: 'widgets', singularName: '', kind: 'Widget', namespaced: true, verbs: ['get', 'list'] }],
  available: () => true,
  async handle(req) {
    seen.push(req);
    if (req.name === 'missing') return failure(404, 'NotFound', 'widgets.widgets.example.io "missing" not found');
    if (req.verb === 'list')
      return { status: 200, body: { kind: 'WidgetList', apiVersion: 'widgets.example.io/v1', metadata: {}, items: [{ kind: 'Widget' }] } };
    return { status: 200, body: { kind: 'Widget', apiVersion: 'widgets.example.io/v1', metadata: { name: req.name, namespace: req.namespace } } };
  },
};

before(async () => {
  t = await TestApi.start('memory');
  t.api.addAggregatedApi(widgets);
});
after(() => t?.close());

test('requests for the group are handed over with their verb, namespace, name and query', async () => {
  const w = await t.get('/apis/widgets.example.io/v1/namespaces/ns1/widgets/w1', { labelSelector: 'a=b' });
  assert.deepEqual(w.metadata, { name: 'w1', namespace: 'ns1' });
  const last = seen[seen.length - 1]!;
  assert.equal(last.verb, 'get');
  assert.equal(last.resource, 'widgets');
  assert.equal(last.query.get('labelSelector'), 'a=b');
  const r = await t.call('GET', '/apis/widgets.example.io/v1/widgets');
  assert.equal(r.list, true);
  assertStatus(await t.fail('GET', '/apis/widgets.example.io/v1/namespaces/ns1/widgets/missing'), 404, 'NotFound', /"missing" not found/);
  await assert.rejects(
    t.api.handler.watch(t.request('GET', '/apis/widgets.example.io/v1/widgets', { query: { watch: 'true' } }), { send() {}, end() {} }),
    (err: { code?: number }) => err.code === 405,
  );
  // Other versions of the group, and built-in groups, are not its business.
  assert.equal((await t.fail('GET', '/apis/widgets.example.io/v2/widgets')).code, 404);
  assert.equal((await t.get('/api/v1/namespaces/default')).metadata?.name, 'default');
});

test('components in the process reach it through the in-process transport, errors as ApiError', async () => {
  const client = new Client(t.api.transport());
  const list = await client.transport.request({ method: 'GET', path: '/apis/widgets.example.io/v1/namespaces/ns2/widgets' });
  assert.equal(list.kind, 'WidgetList');
  await assert.rejects(
    client.transport.request({ method: 'GET', path: '/apis/widgets.example.io/v1/namespaces/ns2/widgets/missing' }),
    (err: unknown) => err instanceof ApiError && err.code === 404,
  );
});

test('discovery lists the group and its resources beside the built-in ones', () => {
  const reg = t.api.storage.registry;
  const extra = t.api.handler.aggregated.list();
  const names = (groupList(reg, extra).groups as { name: string }[]).map((g) => g.name);
  assert.ok(names.includes('widgets.example.io') && names.includes('apps'));
  assert.equal((group(reg, 'widgets.example.io', extra) as { preferredVersion: { version: string } }).preferredVersion.version, 'v1');
  assert.deepEqual(
    (resourceList(reg, 'widgets.example.io', 'v1', extra)!.resources as { kind: string }[]).map((r) => r.kind),
    ['Widget'],
  );
  const items = aggregated(reg, false, 'v2', extra).items as { metadata: { name: string }; versions: { resources: { resource: string; scope: string }[] }[] }[];
  const mine = items.find((i) => i.metadata.name === 'widgets.example.io');
  assert.deepEqual(
    mine?.versions[0]?.resources.map((r) => `${r.resource}:${r.scope}`),
    ['widgets:Namespaced'],
  );
  assert.ok(!(aggregated(reg, true, 'v2', extra).items as { metadata: { name: string } }[]).some((i) => i.metadata.name === 'widgets.example.io'));
});
