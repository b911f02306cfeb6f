// WATCH: where a watch starts, selectors (objects moving in and out), bookmarks,
// single-object watches, and 410 Expired for history that is gone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(() => t.close());

let nsCount = 0;
async function freshNamespace(): Promise<string> {
  const ns = await t.namespace(`w${++nsCount}`);
  return `/api/v1/namespaces/${ns}/configmaps`;
}

test('a watch from a resourceVersion gets only the events after it', async () => {
  const C = await freshNamespace();
  const a = await t.post(C, configMap('a'));
  await t.post(C, configMap('b'));
  await t.patch(`${C}/a`, 'merge', { data: { a: '2' } });
  const w = await t.watch(C, { resourceVersion: a.metadata!.resourceVersion });
  await w.count(2);
  assert.deepEqual(w.summary(), [
    ['ADDED', 'b'],
    ['MODIFIED', 'a'],
  ]);
  await t.post(C, configMap('c'));
  await w.count(3);
  assert.deepEqual(w.summary()[2], ['ADDED', 'c']);
  // Each event's object carries the revision of its write, in increasing order.
  const rvs = w.events.map((e) => Number(e.object.metadata!.resourceVersion));
  assert.ok(
    rvs.every((rv, i) => i === 0 || rv > rvs[i - 1]!),
    `not increasing: ${rvs}`,
  );
  assert.ok(rvs[0]! > Number(a.metadata!.resourceVersion));
  assert.deepEqual(await w.settle(), w.events.slice(0, 3));
});

test('a watch without a resourceVersion first sends ADDED for every existing object', async () => {
  const C = await freshNamespace();
  await t.post(C, configMap('x1'));
  await t.post(C, configMap('x2'));
  await t.patch(`${C}/x1`, 'merge', { data: { a: '9' } });
  const w = await t.watch(C);
  await w.count(2);
  assert.deepEqual(w.summary(), [
    ['ADDED', 'x1'],
    ['ADDED', 'x2'],
  ]);
  assert.equal(w.events[0]!.object.data.a, '9'); // the current state, not the history
  await t.del(`${C}/x2`);
  await w.count(3);
  assert.deepEqual(w.summary()[2], ['DELETED', 'x2']);
  // resourceVersion="0" also starts with the current state.
  const w0 = await t.watch(C, { resourceVersion: '0' });
  await w0.count(1);
  assert.deepEqual(w0.summary(), [['ADDED', 'x1']]);
});

test('a watch of one namespace sees nothing from another', async () => {
  const C1 = await freshNamespace();
  const C2 = await freshNamespace();
  const w = await t.watch(C1);
  await t.post(C2, configMap('elsewhere'));
  await t.post(C1, configMap('here'));
  await w.count(1);
  assert.deepEqual(await w.settle(), [w.events[0]]);
  assert.deepEqual(w.summary(), [['ADDED', 'here']]);
});

test('label selector: leaving it is DELETED (with the old object at the new revision), returning is ADDED', async () => {
  const C = await freshNamespace();
  const w = await t.watch(C, { labelSelector: 'app=x' });
  await t.post(C, configMap('m', { a: '1' }, { labels: { app: 'x' } }));
  await t.post(C, configMap('other', { a: '1' }, { labels: { app: 'y' } }));
  const out = await t.patch(`${C}/m`, 'merge', { metadata: { labels: { app: 'y' } } });
  await t.patch(`${C}/m`, 'merge', { data: { a: '2' } }); // invisible: not selected
  const back = await t.patch(`${C}/m`, 'merge', { metadata: { labels: { app: 'x' } } });
  await t.patch(`${C}/m`, 'merge', { data: { a: '3' } });
  await w.count(4);
  assert.deepEqual(w.summary(), [
    ['ADDED', 'm'],
    ['DELETED', 'm'],
    ['ADDED', 'm'],
    ['MODIFIED', 'm'],
  ]);
  const del = w.events[1]!.object;
  // Kubernetes' cacher sends the previous object (which matched) stamped with the event's revision.
  assert.equal(del.metadata!.resourceVersion, out.metadata!.resourceVersion);
  assert.deepEqual(del.metadata!.labels, { app: 'x' });
  assert.deepEqual(w.events[2]!.object.metadata!.labels, { app: 'x' });
  assert.equal(w.events[2]!.object.metadata!.resourceVersion, back.metadata!.resourceVersion);
  assert.equal(w.events[2]!.object.data.a, '2');
});

test('field selector: a pod bound to the node enters a spec.nodeName watch as ADDED', async () => {
  await t.namespace('wpods');
  const P = '/api/v1/namespaces/wpods/pods';
  const w = await t.watch('/api/v1/pods', { fieldSelector: 'spec.nodeName=node-w' });
  await t.post(P, pod('unbound'));
  await t.post(P, pod('elsewhere', { nodeName: 'node-z' }));
  await t.call('POST', `${P}/unbound/binding`, { body: { metadata: { name: 'unbound' }, target: { kind: 'Node', name: 'node-w' } } });
  await w.count(1);
  assert.deepEqual(await w.settle(), [w.events[0]]);
  assert.deepEqual(w.summary(), [['ADDED', 'unbound']]);
  assert.equal(w.events[0]!.object.spec.nodeName, 'node-w');
});

test('DELETED events carry the deletion’s resourceVersion', async () => {
  await t.namespace('wdel');
  const P = '/api/v1/namespaces/wdel/pods';
  const p = await t.post(P, pod('doomed'));
  const w = await t.watch(P, { resourceVersion: p.metadata!.resourceVersion });
  const gone = await t.del(`${P}/doomed`);
  await w.count(1);
  const ev = w.events[0]!;
  assert.equal(ev.type, 'DELETED');
  assert.equal(ev.object.metadata!.uid, p.metadata!.uid);
  assert.ok(Number(ev.object.metadata!.resourceVersion) > Number(p.metadata!.resourceVersion));
  assert.equal(ev.object.metadata!.resourceVersion, gone.metadata!.resourceVersion);
  assert.equal(String(await t.store.currentRevision()), ev.object.metadata!.resourceVersion);
});

test('sendInitialEvents=true with bookmarks ends the initial events with an initial-events-end BOOKMARK', async () => {
  const C = await freshNamespace();
  await t.post(C, configMap('s1'));
  await t.post(C, configMap('s2'));
  const listRV = (await t.get(C)).metadata!.resourceVersion;
  const w = await t.watch(C, { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true });
  await w.count(3);
  assert.deepEqual(w.summary().slice(0, 2), [
    ['ADDED', 's1'],
    ['ADDED', 's2'],
  ]);
  const bm = w.events[2]!;
  assert.equal(bm.type, 'BOOKMARK');
  assert.equal(bm.object.kind, 'ConfigMap');
  assert.equal(bm.object.apiVersion, 'v1');
  assert.deepEqual(bm.object.metadata!.annotations, { 'k8s.io/initial-events-end': 'true' });
  assert.ok(Number(bm.object.metadata!.resourceVersion) >= Number(listRV));
  await t.post(C, configMap('s3'));
  await w.count(4);
  assert.deepEqual(w.summary()[3], ['ADDED', 's3']);

  // With a resourceVersion too: the state at least that new, then the bookmark.
  const w2 = await t.watch(C, { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', resourceVersion: listRV, allowWatchBookmarks: true });
  await w2.count(4);
  assert.deepEqual(
    w2.summary().map((s) => s[0]),
    ['ADDED', 'ADDED', 'ADDED', 'BOOKMARK'],
  );

  // sendInitialEvents without resourceVersionMatch=NotOlderThan is invalid.
  await assert.rejects(
    t.watch(C, { sendInitialEvents: true }),
    (e: any) => e.code === 422 && /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/.test(e.message),
  );
});

test('a watch on one name (GET .../configmaps/x?watch=1) sees only that object', async () => {
  const C = await freshNamespace();
  await t.post(C, configMap('x'));
  await t.post(C, configMap('y'));
  const w = await t.watch(`${C}/x`);
  await w.count(1);
  assert.deepEqual(w.summary(), [['ADDED', 'x']]);
  await t.patch(`${C}/y`, 'merge', { data: { a: '2' } });
  await t.patch(`${C}/x`, 'merge', { data: { a: '2' } });
  await t.post(C, configMap('xx'));
  await t.del(`${C}/x`);
  await w.count(3);
  assert.deepEqual(await w.settle(), w.events.slice(0, 3));
  assert.deepEqual(w.summary(), [
    ['ADDED', 'x'],
    ['MODIFIED', 'x'],
    ['DELETED', 'x'],
  ]);
});

test('a watch from a compacted revision gets ERROR 410 Expired and ends', async () => {
  const C = await freshNamespace();
  const a = await t.post(C, configMap('old'));
  for (let i = 0; i < 3; i++) await t.patch(`${C}/old`, 'merge', { data: { a: String(i + 2) } });
  const now = await t.store.currentRevision();
  await t.store.compact(now);
  const w = await t.watch(C, { resourceVersion: a.metadata!.resourceVersion });
  await w.until((e) => e.length >= 1, 2000, 'ERROR');
  const ev = w.events[0]!;
  assert.equal(ev.type, 'ERROR');
  assert.equal(ev.object.kind, 'Status');
  assert.equal(ev.object.apiVersion, 'v1');
  assert.equal(ev.object.status, 'Failure');
  assert.equal(ev.object.code, 410);
  assert.equal(ev.object.reason, 'Expired');
  assert.match(ev.object.message, /^too old resource version: \d+ \(\d+\)$/);
  await w.until(() => w.ended, 2000, 'end of stream');
  // From the compacted revision itself it still works.
  const ok = await t.watch(C, { resourceVersion: String(now) });
  await t.patch(`${C}/old`, 'merge', { data: { a: 'new' } });
  await ok.count(1);
  assert.deepEqual(ok.summary(), [['MODIFIED', 'old']]);
});

test('timeoutSeconds ends the watch cleanly', async () => {
  const C = await freshNamespace();
  const w = await t.watch(C, { timeoutSeconds: 0 });
  await w.until(() => w.ended, 2000, 'end of stream');
  assert.deepEqual(w.events, []);
});

test('a watch older than the watch cache’s event window (but not compacted) replays from the store', async () => {
  const own = await TestApi.start(); // its own server: this fills the cache's window
  try {
    await own.namespace('old');
    const C = '/api/v1/namespaces/old/configmaps';
    const a = await own.post(C, configMap('a', { v: '1' }, { labels: { app: 'x' } }));
    const out = await own.patch(`${C}/a`, 'merge', { metadata: { labels: { app: 'y' } } });
    await own.post(C, configMap('b', { v: '1' }, { labels: { app: 'x' } }));
    await own.del(`${C}/b`);
    // More events than the cache keeps (20 000), written straight to the store.
    for (let i = 0; i < 20_050; i++)
      await own.store.create(
        `/registry/secrets/old/s${i}`,
        JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `s${i}`, namespace: 'old' } }),
      );
    await own.api.cache.sync();
    const w = await own.watch(C, { resourceVersion: a.metadata!.resourceVersion, labelSelector: 'app=x' });
    await w.count(3);
    assert.deepEqual(w.summary(), [
      ['DELETED', 'a'],
      ['ADDED', 'b'],
      ['DELETED', 'b'],
    ]);
    assert.equal(w.events[0]!.object.metadata!.resourceVersion, out.metadata!.resourceVersion);
    assert.deepEqual(w.events[0]!.object.metadata!.labels, { app: 'x' });
    await own.post(C, configMap('c', { v: '1' }, { labels: { app: 'x' } }));
    await w.count(4);
    assert.deepEqual(w.summary()[3], ['ADDED', 'c']);
  } finally {
    await own.close();
  }
});
