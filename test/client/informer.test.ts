import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../../src/client/client.js';
import { SharedInformer, type EventHandlers } from '../../src/client/informer.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import { resources } from '../../src/client/resources.js';
import { ApiError } from '../../src/client/transport.js';
import { FakeApi, until } from './fake-api.js';

function pod(name: string, node = '', ns = 'default'): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { nodeName: node, containers: [] } };
}

interface Recorded {
  type: 'add' | 'update' | 'delete';
  name: string;
  rv?: string;
  oldRv?: string;
  initial?: boolean;
}

function recorder(): { events: Recorded[]; handlers: EventHandlers<Pod> } {
  const events: Recorded[] = [];
  return {
    events,
    handlers: {
      onAdd: (o, initial) => events.push({ type: 'add', name: o.metadata!.name!, rv: o.metadata!.resourceVersion, initial }),
      onUpdate: (old, o) => events.push({ type: 'update', name: o.metadata!.name!, rv: o.metadata!.resourceVersion, oldRv: old.metadata!.resourceVersion }),
      onDelete: (o) => events.push({ type: 'delete', name: o.metadata!.name!, rv: o.metadata!.resourceVersion }),
    },
  };
}

function setup(opts: ConstructorParameters<typeof SharedInformer<Pod>>[1] = {}) {
  const api = new FakeApi();
  const errors: unknown[] = [];
  const inf = new SharedInformer(new Client(api).pods, {
    backoff: { initialMs: 5, maxMs: 20 },
    onError: (e) => errors.push(e),
    ...opts,
  });
  return { api, inf, errors };
}

test('lists in pages, then watches from the list version with bookmarks', async () => {
  const { api, inf } = setup({ pageSize: 2 });
  for (const n of ['a', 'b', 'c']) api.put('pods', pod(n));
  const rec = recorder();
  inf.addEventHandler(rec.handlers);
  inf.start();
  try {
    await inf.waitForSync();
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(
      rec.events.map((e) => [e.type, e.name, e.initial]),
      [
        ['add', 'a', true],
        ['add', 'b', true],
        ['add', 'c', true],
      ],
    );
    const lists = api.requests.filter((r) => r.method === 'GET');
    assert.equal(lists.length, 2, 'three objects in pages of two');
    assert.equal(lists[0]!.query?.limit, 2);
    assert.ok(lists[1]!.query?.continue);
    await until(() => api.watchQueries.length === 1, 1000, 'watch');
    const wq = api.watchQueries[0]!;
    assert.equal(wq.resourceVersion, '103');
    assert.equal(wq.allowWatchBookmarks, true);
    assert.equal(wq.path, '/api/v1/pods');
    // List items came without kind; the cache has it anyway.
    assert.equal(inf.get('a', 'default')?.kind, 'Pod');

    rec.events.length = 0;
    api.put('pods', pod('d'));
    api.put('pods', pod('a', 'node1'));
    api.remove('pods', 'default', 'b');
    await until(() => rec.events.length === 3, 1000, 'three events');
    assert.deepEqual(rec.events, [
      { type: 'add', name: 'd', rv: '104', initial: false },
      { type: 'update', name: 'a', rv: '105', oldRv: '101' },
      { type: 'delete', name: 'b', rv: '106' },
    ]);
    assert.deepEqual(inf.store.listKeys().sort(), ['default/a', 'default/c', 'default/d']);
    assert.equal(inf.lastSyncResourceVersion(), '106');
  } finally {
    inf.stop();
  }
});

test('cached objects are deeply frozen', async () => {
  const { api, inf } = setup();
  api.put('pods', pod('a', 'n1'));
  inf.start();
  try {
    await inf.waitForSync();
    const p = inf.get('a', 'default')!;
    assert.throws(() => {
      (p.metadata as any).name = 'b';
    }, TypeError);
    assert.throws(() => {
      (p.spec as any).nodeName = 'n2';
    }, TypeError);
    assert.throws(() => (p.spec!.containers as unknown[]).push({}), TypeError);
  } finally {
    inf.stop();
  }
});

test('re-watches from the last seen version when a watch ends, without re-listing', async () => {
  const { api, inf } = setup();
  api.put('pods', pod('a'));
  const rec = recorder();
  inf.addEventHandler(rec.handlers);
  inf.start();
  try {
    await inf.waitForSync();
    await until(() => api.watchers.size === 1, 1000, 'watch');
    api.put('pods', pod('b'));
    await until(() => rec.events.length === 2, 1000, 'add b');
    api.suspended = true;
    api.put('pods', pod('c')); // happens while the connection is stalled
    api.suspended = false;
    api.endWatches();
    await until(() => rec.events.length === 3, 2000, 'add c after re-watch');
    assert.deepEqual(rec.events[2], { type: 'add', name: 'c', rv: '103', initial: false });
    assert.equal(api.watchQueries[1]!.resourceVersion, '102');
    assert.equal(api.requests.filter((r) => r.method === 'GET').length, 1, 'no second list');
  } finally {
    inf.stop();
  }
});

for (const mode of ['event', 'http'] as const) {
  test(`re-lists after 410 (${mode === 'event' ? 'ERROR event' : 'HTTP 410'}) and hands out only the differences`, async () => {
    const { api, inf, errors } = setup();
    api.goneMode = mode;
    for (const n of ['a', 'b', 'c']) api.put('pods', pod(n));
    const rec = recorder();
    inf.addEventHandler(rec.handlers);
    inf.start();
    try {
      await inf.waitForSync();
      await until(() => api.watchers.size === 1, 1000, 'watch');
      rec.events.length = 0;
      api.suspended = true;
      api.remove('pods', 'default', 'a');
      api.put('pods', pod('b', 'node9'));
      api.put('pods', pod('d'));
      api.compact();
      api.suspended = false;
      api.endWatches(new Error('connection reset'));
      await until(() => rec.events.length === 3, 2000, 'differences');
      const byType = Object.fromEntries(rec.events.map((e) => [e.type, e]));
      assert.deepEqual(byType.delete, { type: 'delete', name: 'a', rv: '101' }, 'delete carries the last known state');
      assert.deepEqual(byType.update, { type: 'update', name: 'b', rv: '105', oldRv: '102' });
      assert.deepEqual(byType.add, { type: 'add', name: 'd', rv: '106', initial: false });
      assert.deepEqual(inf.store.listKeys().sort(), ['default/b', 'default/c', 'default/d']);
      assert.equal(inf.get('b', 'default')?.spec?.nodeName, 'node9');
      // A new watch starts from the new list's version.
      await until(() => api.watchers.size === 1, 1000, 'new watch');
      assert.equal(api.watchQueries.at(-1)!.resourceVersion, '106');
      assert.equal(api.requests.filter((r) => r.method === 'GET').length, 2);
      assert.ok(!errors.some((e) => e instanceof ApiError && e.code === 410), '410 is routine, not reported');
    } finally {
      inf.stop();
    }
  });
}

test('indexers: byIndex follows adds, moves and deletes; late indexers cover what is cached', async () => {
  const { api, inf } = setup({ indexers: { byNode: (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []) } });
  api.put('pods', pod('a', 'n1'));
  api.put('pods', pod('b', 'n1'));
  api.put('pods', pod('c', 'n2', 'kube-system'));
  inf.start();
  try {
    await inf.waitForSync();
    const names = (node: string) =>
      inf.store
        .byIndex('byNode', node)
        .map((p) => p.metadata!.name)
        .sort();
    assert.deepEqual(names('n1'), ['a', 'b']);
    assert.deepEqual(names('n2'), ['c']);
    assert.deepEqual(
      inf.store.byIndex('namespace', 'kube-system').map((p) => p.metadata!.name),
      ['c'],
    );
    await until(() => api.watchers.size === 1, 1000, 'watch');
    api.put('pods', pod('a', 'n2'));
    api.remove('pods', 'default', 'b');
    await until(() => names('n1').length === 0, 1000, 'index update');
    assert.deepEqual(names('n2'), ['a', 'c']);
    inf.addIndexers({ byName: (p: Pod) => [p.metadata!.name!] });
    assert.equal(inf.store.byIndex('byName', 'c')[0]!.metadata!.namespace, 'kube-system');
    assert.throws(() => inf.addIndexers({ byName: () => [] }), /already exists/);
    assert.throws(() => inf.store.byIndex('nope', 'x'), /no index/);
  } finally {
    inf.stop();
  }
});

test('backs off and retries when the list fails, then syncs', async () => {
  const { api, inf, errors } = setup();
  api.put('pods', pod('a'));
  const boom = () => new ApiError(500, 'InternalError', 'boom');
  api.failNext.push(boom(), boom());
  inf.start();
  try {
    await inf.waitForSync();
    assert.equal(errors.length, 2);
    assert.equal(inf.store.size, 1);
  } finally {
    inf.stop();
  }
});

test('periodic resync re-delivers onUpdate(obj, obj); late handlers get the cache as adds', async () => {
  const { api, inf } = setup({ resyncPeriodMs: 30 });
  api.put('pods', pod('a'));
  const resyncs: [Pod, Pod][] = [];
  inf.addEventHandler({ onUpdate: (o, n) => resyncs.push([o, n]) });
  inf.start();
  try {
    await inf.waitForSync();
    await until(() => resyncs.length >= 2, 1000, 'resyncs');
    assert.equal(resyncs[0]![0], resyncs[0]![1]);
    const late = recorder();
    const reg = inf.addEventHandler(late.handlers, { resyncPeriodMs: 0 });
    assert.deepEqual(late.events, [{ type: 'add', name: 'a', rv: '101', initial: true }]);
    reg.remove();
    api.put('pods', pod('z'));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(late.events.length, 1, 'removed handler hears nothing');
  } finally {
    inf.stop();
  }
});

test('a throwing handler does not disturb others or the cache', async () => {
  const { api, inf, errors } = setup();
  api.put('pods', pod('a'));
  const rec = recorder();
  inf.addEventHandler({
    onAdd: () => {
      throw new Error('handler bug');
    },
  });
  inf.addEventHandler(rec.handlers);
  inf.start();
  try {
    await inf.waitForSync();
    assert.equal(rec.events.length, 1);
    assert.match(String(errors[0]), /handler bug/);
  } finally {
    inf.stop();
  }
});

test('waitForSync rejects when stopped first; stopped informers cannot restart', async () => {
  const { api, inf } = setup();
  api.failNext.push(new ApiError(500, 'InternalError', 'x'));
  inf.start();
  const p = inf.waitForSync();
  inf.stop();
  await assert.rejects(p, /stopped before syncing/);
  assert.throws(() => inf.start(), /cannot be started again/);
});

test('factory shares one informer per resource and scope, starts and stops them together', async () => {
  const api = new FakeApi();
  api.put('pods', pod('a'));
  api.put('nodes', { metadata: { name: 'n1' } });
  const factory = new SharedInformerFactory(new Client(api), { backoff: { initialMs: 5 } });
  const pods = factory.informerFor(resources.pods);
  assert.equal(factory.informerFor(resources.pods), pods);
  assert.notEqual(factory.informerFor(resources.pods, { namespace: 'kube-system' }), pods);
  const nodes = factory.informerFor(resources.nodes, { namespace: 'ignored-for-cluster-scoped' });
  assert.equal(factory.informerFor(resources.nodes), nodes);
  factory.start();
  try {
    await factory.waitForSync();
    assert.equal(pods.store.size, 1);
    assert.equal(nodes.get('n1')?.kind, 'Node');
    const late = factory.informerFor(resources.configMaps);
    await late.waitForSync(); // started because the factory already was
  } finally {
    factory.stop();
  }
  assert.throws(() => factory.informerFor(resources.pods), /stopped/);
});
