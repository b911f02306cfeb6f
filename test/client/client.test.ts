import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, retryOnConflict } from '../../src/client/client.js';
import { resourcePath } from '../../src/client/paths.js';
import { ApiError, type RequestOptions, type Transport, type WatchHandlers } from '../../src/client/transport.js';
import { objectKey, splitKey, Indexer } from '../../src/client/cache.js';
import { deepFreeze } from '../../src/util/clone.js';
import { Backoff } from '../../src/client/backoff.js';
import { FakeApi } from './fake-api.js';

/** Records requests and answers each with `answer(opts)`. */
class Recorder implements Transport {
  calls: RequestOptions[] = [];
  watches: { path: string; query: RequestOptions['query'] }[] = [];
  constructor(private readonly answer: (o: RequestOptions) => unknown = (o) => o.body ?? {}) {}
  async request(opts: RequestOptions) {
    this.calls.push(opts);
    return this.answer(opts);
  }
  watch(path: string, query: RequestOptions['query'], h: WatchHandlers) {
    this.watches.push({ path, query });
    h.onEvent({ type: 'ADDED', object: { metadata: { name: 'w' } } });
    return { stop() {} };
  }
}

test('resourcePath: core and named groups, namespaces, subresources', () => {
  assert.equal(
    resourcePath({ group: '', version: 'v1', resource: 'pods', namespace: 'ns', name: 'x', subresource: 'status' }),
    '/api/v1/namespaces/ns/pods/x/status',
  );
  assert.equal(resourcePath({ group: 'apps', version: 'v1', resource: 'deployments' }), '/apis/apps/v1/deployments');
  assert.equal(
    resourcePath({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'a', name: 'web' }),
    '/apis/apps/v1/namespaces/a/deployments/web',
  );
  assert.equal(resourcePath({ group: '', version: 'v1', resource: 'namespaces', name: 'kube-system' }), '/api/v1/namespaces/kube-system');
  assert.equal(resourcePath({ group: '', version: 'v1', resource: 'nodes', name: 'n:1' }), '/api/v1/nodes/n%3A1');
  assert.throws(() => resourcePath({ group: '', version: 'v1', resource: 'pods', name: 'a/b' }), /invalid name/);
  assert.throws(() => resourcePath({ group: '', version: 'v1', resource: 'pods', subresource: 'status' }), /needs an object name/);
});

test('typed client: namespaces from the object, kinds filled, query parameters, patch and delete bodies', async () => {
  const t = new Recorder();
  const c = new Client(t, { fieldManager: 'skiff-test' });
  await c.deployments.create({ metadata: { name: 'web', namespace: 'prod' } });
  assert.equal(t.calls[0]!.method, 'POST');
  assert.equal(t.calls[0]!.path, '/apis/apps/v1/namespaces/prod/deployments');
  assert.deepEqual(t.calls[0]!.body, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'prod' } });

  await c.pods.updateStatus({ metadata: { name: 'p', namespace: 'd', resourceVersion: '3' }, status: { phase: 'Running' } }, { dryRun: true });
  assert.equal(t.calls[1]!.method, 'PUT');
  assert.equal(t.calls[1]!.path, '/api/v1/namespaces/d/pods/p/status');
  assert.deepEqual(t.calls[1]!.query, { dryRun: 'All' });

  await c.nodes.get('n1', 'ignored');
  assert.equal(t.calls[2]!.path, '/api/v1/nodes/n1');

  await assert.rejects(c.pods.get('p'), /namespace is required/);

  await c.pods.list({ labelSelector: 'app=web', limit: 10 });
  assert.equal(t.calls.at(-1)!.path, '/api/v1/pods');
  assert.deepEqual(t.calls.at(-1)!.query, { labelSelector: 'app=web', limit: 10 });

  await c.configMaps.patch('cm', [{ op: 'add', path: '/data/a', value: '1' }], 'json', { namespace: 'd' });
  assert.equal(t.calls.at(-1)!.contentType, 'application/json-patch+json');
  await c.configMaps.patch('cm', { data: { a: '1' } }, 'strategic', { namespace: 'd' });
  assert.equal(t.calls.at(-1)!.contentType, 'application/strategic-merge-patch+json');
  await c.configMaps.patch('cm', { metadata: { name: 'cm', namespace: 'd' }, data: {} }, 'apply', { force: true });
  const apply = t.calls.at(-1)!;
  assert.equal(apply.contentType, 'application/apply-patch+yaml');
  assert.equal(apply.path, '/api/v1/namespaces/d/configmaps/cm');
  assert.deepEqual(apply.query, { fieldManager: 'skiff-test', force: true });
  assert.equal((apply.body as any).kind, 'ConfigMap');

  await c.pods.delete('p', { namespace: 'd', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } });
  assert.equal(t.calls.at(-1)!.method, 'DELETE');
  assert.deepEqual(t.calls.at(-1)!.body, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
    propagationPolicy: 'Foreground',
    preconditions: { uid: 'u1' },
  });
  await c.pods.deleteCollection({ namespace: 'd', labelSelector: 'x=y' });
  assert.equal(t.calls.at(-1)!.path, '/api/v1/namespaces/d/pods');
  assert.deepEqual(t.calls.at(-1)!.query, { labelSelector: 'x=y' });

  await c.bindPod('d', 'p', 'node-1');
  assert.equal(t.calls.at(-1)!.path, '/api/v1/namespaces/d/pods/p/binding');
  assert.deepEqual((t.calls.at(-1)!.body as any).target, { apiVersion: 'v1', kind: 'Node', name: 'node-1' });

  await c.deployments.updateScale('web', { metadata: { name: 'web', namespace: 'prod' }, spec: { replicas: 3 } });
  assert.equal(t.calls.at(-1)!.path, '/apis/apps/v1/namespaces/prod/deployments/web/scale');
  assert.equal((t.calls.at(-1)!.body as any).kind, 'Scale');

  const seen: string[] = [];
  c.pods.watch({ namespace: 'd', resourceVersion: '5', allowWatchBookmarks: true }, { onEvent: (e) => seen.push(e.object.kind!), onClose() {} });
  assert.deepEqual(t.watches[0], { path: '/api/v1/namespaces/d/pods', query: { watch: 1, resourceVersion: '5', allowWatchBookmarks: true } });
  assert.deepEqual(seen, ['Pod']);
});

test('listAll follows continue tokens and falls back to one list when a token expires', async () => {
  const api = new FakeApi();
  for (let i = 0; i < 7; i++) api.put('configmaps', { metadata: { name: `cm${i}`, namespace: 'd' } });
  const c = new Client(api);
  const all = await c.configMaps.listAll({ namespace: 'd', limit: 3 });
  assert.equal(all.items.length, 7);
  assert.equal(all.metadata.resourceVersion, '107');
  assert.equal(all.metadata.continue, undefined);
  assert.equal(api.requests.length, 3);
  assert.equal(all.items[0]!.kind, 'ConfigMap');

  const first = await c.configMaps.list({ namespace: 'd', limit: 3 });
  api.put('configmaps', { metadata: { name: 'late', namespace: 'd' } });
  api.compact();
  const rest = await c.configMaps.listAll({ namespace: 'd', limit: 3, continue: first.metadata.continue });
  assert.equal(rest.items.length, 8, 'expired continue: everything, in one list');
});

test('retryOnConflict retries conflicts only, up to the limit', async () => {
  const conflict = () => new ApiError(409, 'Conflict', 'modified');
  let n = 0;
  assert.equal(await retryOnConflict(async () => (++n < 3 ? Promise.reject(conflict()) : 'ok')), 'ok');
  assert.equal(n, 3);
  n = 0;
  await assert.rejects(
    retryOnConflict(async () => {
      n++;
      throw conflict();
    }, 2),
    /modified/,
  );
  assert.equal(n, 2);
  n = 0;
  await assert.rejects(
    retryOnConflict(async () => {
      n++;
      throw new ApiError(409, 'AlreadyExists', 'exists');
    }),
    /exists/,
  );
  assert.equal(n, 1);
});

test('cache helpers: keys, deep freeze, indexer without informer', () => {
  assert.equal(objectKey({ metadata: { name: 'a', namespace: 'ns' } }), 'ns/a');
  assert.equal(objectKey({ metadata: { name: 'n1' } }), 'n1');
  assert.deepEqual(splitKey('ns/a'), { namespace: 'ns', name: 'a' });
  assert.deepEqual(splitKey('n1'), { name: 'n1' });
  const o = deepFreeze({ a: { b: [1, { c: 2 }] } });
  assert.ok(Object.isFrozen(o.a.b[1]));
  const ix = new Indexer<{ metadata: { name: string; namespace?: string }; tags: string[] }>({ byTag: (x) => x.tags });
  ix.set('a', { metadata: { name: 'a' }, tags: ['x', 'y'] });
  ix.set('b', { metadata: { name: 'b' }, tags: ['y'] });
  assert.deepEqual(ix.indexKeys('byTag', 'y').sort(), ['a', 'b']);
  ix.set('a', { metadata: { name: 'a' }, tags: ['z'] });
  assert.deepEqual(ix.indexKeys('byTag', 'y'), ['b']);
  assert.deepEqual(ix.indexKeys('byTag', 'x'), []);
  ix.delete('b');
  assert.deepEqual(ix.indexKeys('byTag', 'y'), []);
  assert.equal(ix.size, 1);
});

test('back-off doubles, is capped and jittered downwards, and resets', () => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 });
  const d = Array.from({ length: 6 }, () => b.next());
  const raw = [100, 200, 400, 800, 1000, 1000];
  d.forEach((v, i) => {
    assert.ok(v <= raw[i]! && v >= raw[i]! * 0.8, `delay ${i}: ${v}`);
  });
  b.reset();
  assert.ok(b.next() <= 100);
});
