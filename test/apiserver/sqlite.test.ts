// The same request handling over the embedded SQLite store: the paths that read the
// store's history (continue tokens, Exact lists, watches from old revisions, compaction).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start('sqlite');
  await t.namespace('sq');
});
after(() => t.close());

const CM = '/api/v1/namespaces/sq/configmaps';
const names = (l: any) => l.items.map((i: any) => i.metadata.name);

test('sqlite: create, update (no-op keeps the resourceVersion), delete', async () => {
  const a = await t.post(CM, configMap('a', { v: '1' }));
  const same = await t.put(`${CM}/a`, a);
  assert.equal(same.metadata!.resourceVersion, a.metadata!.resourceVersion);
  const b = await t.patch(`${CM}/a`, 'merge', { data: { v: '2' } });
  assert.ok(Number(b.metadata!.resourceVersion) > Number(a.metadata!.resourceVersion));
  assert.equal((await t.get(`${CM}/a`)).data.v, '2');
  await t.del(`${CM}/a`);
  assert.equal(await t.exists(`${CM}/a`), false);
});

test('sqlite: paging reads the first page’s revision even after writes', async () => {
  for (let i = 0; i < 12; i++) await t.post(CM, configMap(`p-${String(i).padStart(2, '0')}`, { v: 'old' }));
  const p1 = await t.get(CM, { limit: 5 });
  assert.equal(p1.metadata!.remainingItemCount, 7);
  await t.post(CM, configMap('p-07x'));
  await t.patch(`${CM}/p-08`, 'merge', { data: { v: 'new' } });
  await t.del(`${CM}/p-09`);
  const p2 = await t.get(CM, { limit: 5, continue: p1.metadata!.continue });
  assert.deepEqual(names(p2), ['p-05', 'p-06', 'p-07', 'p-08', 'p-09']);
  assert.equal(p2.items[3].data.v, 'old');
  assert.equal(p2.metadata!.remainingItemCount, 2);
  assert.equal(p2.metadata!.resourceVersion, p1.metadata!.resourceVersion);
  const p3 = await t.get(CM, { limit: 5, continue: p2.metadata!.continue });
  assert.deepEqual(names(p3), ['p-10', 'p-11']);
  assert.equal(p3.metadata!.continue, undefined);
});

test('sqlite: resourceVersionMatch=Exact returns the old state', async () => {
  await t.post(CM, configMap('exact', { v: '1' }));
  const rv = (await t.get(CM)).metadata!.resourceVersion;
  await t.patch(`${CM}/exact`, 'merge', { data: { v: '2' } });
  const old = await t.get(CM, { resourceVersion: rv, resourceVersionMatch: 'Exact', fieldSelector: 'metadata.name=exact' });
  assert.equal(old.items[0].data.v, '1');
  assert.equal(old.metadata!.resourceVersion, rv);
});

test('sqlite: a watch from a resourceVersion replays only later events', async () => {
  await t.namespace('sqw');
  const P = '/api/v1/namespaces/sqw/pods';
  const first = await t.post(P, pod('w1'));
  await t.post(P, pod('w2'));
  await t.del(`${P}/w1`);
  const w = await t.watch(P, { resourceVersion: first.metadata!.resourceVersion });
  await w.count(2);
  assert.deepEqual(w.summary(), [
    ['ADDED', 'w2'],
    ['DELETED', 'w1'],
  ]);
});

test('sqlite: finalizers hold a deleted object until the last one is removed', async () => {
  await t.post(CM, configMap('held', { a: '1' }, { finalizers: ['example.com/x'] }));
  const marked = await t.del(`${CM}/held`);
  assert.ok(marked.metadata!.deletionTimestamp);
  assert.ok(await t.exists(`${CM}/held`));
  await t.patch(`${CM}/held`, 'json', [{ op: 'remove', path: '/metadata/finalizers' }]);
  assert.equal(await t.exists(`${CM}/held`), false);
});

test('sqlite: after compaction a watch from before it gets 410 Expired and an old continue token too', async () => {
  const a = await t.post(CM, configMap('c-old'));
  const p1 = await t.get(CM, { limit: 1 });
  await t.patch(`${CM}/c-old`, 'merge', { data: { a: '2' } });
  await t.patch(`${CM}/c-old`, 'merge', { data: { a: '3' } });
  await t.store.compact(await t.store.currentRevision());
  const w = await t.watch(CM, { resourceVersion: a.metadata!.resourceVersion });
  await w.count(1);
  assert.equal(w.events[0]!.type, 'ERROR');
  assert.equal(w.events[0]!.object.code, 410);
  assert.equal(w.events[0]!.object.reason, 'Expired');
  const st = await t.fail('GET', CM, { query: { limit: 1, continue: p1.metadata!.continue } });
  assert.equal(st.code, 410);
  assert.equal(st.reason, 'Expired');
});
