// LIST: selectors, paging with limit/continue, and resourceVersion semantics.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KObject } from '../../src/api/types.js';
import { configMap, pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
});
after(() => t.close());

const names = (l: KObject) => l.items.map((i: KObject) => i.metadata!.name as string);

test('label selectors: equality and set-based', async () => {
  await t.namespace('labels');
  const C = '/api/v1/namespaces/labels/configmaps';
  const labels: Record<string, Record<string, string>> = {
    a: { app: 'web', tier: 'front' },
    b: { app: 'web', tier: 'back' },
    c: { app: 'db' },
    d: {},
  };
  for (const [n, l] of Object.entries(labels)) await t.post(C, configMap(n, { x: '1' }, { labels: l }));
  const sel = async (s: string) => names(await t.get(C, { labelSelector: s }));
  assert.deepEqual(await sel('app=web'), ['a', 'b']);
  assert.deepEqual(await sel('app==web'), ['a', 'b']);
  assert.deepEqual(await sel('app!=web'), ['c', 'd']); // a missing label is "not web"
  assert.deepEqual(await sel('app=web,tier=back'), ['b']);
  assert.deepEqual(await sel('app in (web,db)'), ['a', 'b', 'c']);
  assert.deepEqual(await sel('app notin (web)'), ['c', 'd']);
  assert.deepEqual(await sel('tier'), ['a', 'b']);
  assert.deepEqual(await sel('!tier'), ['c', 'd']);
  assert.deepEqual(await sel('app in (web),!tier'), []);
  assert.deepEqual(await sel(''), ['a', 'b', 'c', 'd']);
  const bad = await t.fail('GET', C, { query: { labelSelector: 'app in web' } });
  assert.equal(bad.code, 400);
  assert.equal(bad.reason, 'BadRequest');
});

test('field selectors: metadata.name, spec.nodeName, status.phase; unsupported fields → 400', async () => {
  await t.namespace('fields');
  const P = '/api/v1/namespaces/fields/pods';
  const p1 = await t.post(P, pod('p1', { nodeName: 'n1' }));
  await t.put(`${P}/p1/status`, { ...p1, status: { ...p1.status, phase: 'Running' } });
  await t.post(P, pod('p2', { nodeName: 'n2' }));
  await t.post(P, pod('p3'));
  const sel = async (s: string) => names(await t.get(P, { fieldSelector: s }));
  assert.deepEqual(await sel('metadata.name=p2'), ['p2']);
  assert.deepEqual(await sel('metadata.name!=p2'), ['p1', 'p3']);
  assert.deepEqual(await sel('spec.nodeName=n1'), ['p1']);
  assert.deepEqual(await sel('spec.nodeName='), ['p3']); // the scheduler's "unassigned pods"
  assert.deepEqual(await sel('status.phase=Running'), ['p1']);
  assert.deepEqual(await sel('status.phase!=Running,spec.nodeName!='), ['p2']);
  assert.deepEqual(await sel('metadata.namespace=fields'), ['p1', 'p2', 'p3']);
  // Across namespaces.
  assert.deepEqual(names(await t.get('/api/v1/pods', { fieldSelector: 'spec.nodeName=n2' })), ['p2']);

  const bad = await t.fail('GET', P, { query: { fieldSelector: 'spec.bogus=x' } });
  assert.equal(bad.code, 400);
  assert.equal(bad.reason, 'BadRequest');
  assert.equal(bad.message, 'field label not supported: spec.bogus');
  // ConfigMaps only know the metadata fields.
  const cm = await t.fail('GET', '/api/v1/namespaces/fields/configmaps', { query: { fieldSelector: 'spec.nodeName=x' } });
  assert.equal(cm.message, 'field label not supported: spec.nodeName');
  // A watch rejects it the same way.
  await assert.rejects(t.watch(P, { fieldSelector: 'x=y' }), (e: any) => e.code === 400 && e.message === 'field label not supported: x');
});

async function fill(ns: string, n: number): Promise<string> {
  await t.namespace(ns);
  const C = `/api/v1/namespaces/${ns}/configmaps`;
  for (let i = 0; i < n; i++) await t.post(C, configMap(`cm-${String(i).padStart(2, '0')}`, { v: 'old' }, { labels: { parity: i % 2 ? 'odd' : 'even' } }));
  return C;
}

test('limit/continue pages through 25 objects, with remainingItemCount, at one resourceVersion', async () => {
  const C = await fill('paging', 25);
  const p1 = await t.get(C, { limit: 10 });
  assert.deepEqual(
    names(p1),
    Array.from({ length: 10 }, (_, i) => `cm-${String(i).padStart(2, '0')}`),
  );
  assert.equal(p1.metadata!.remainingItemCount, 15);
  assert.ok(p1.metadata!.continue);
  const p2 = await t.get(C, { limit: 10, continue: p1.metadata!.continue });
  assert.deepEqual(
    names(p2),
    Array.from({ length: 10 }, (_, i) => `cm-${i + 10}`),
  );
  assert.equal(p2.metadata!.remainingItemCount, 5);
  assert.equal(p2.metadata!.resourceVersion, p1.metadata!.resourceVersion);
  const p3 = await t.get(C, { limit: 10, continue: p2.metadata!.continue });
  assert.deepEqual(names(p3), ['cm-20', 'cm-21', 'cm-22', 'cm-23', 'cm-24']);
  assert.equal(p3.metadata!.continue, undefined);
  assert.equal(p3.metadata!.remainingItemCount, undefined);
  assert.equal(p3.metadata!.resourceVersion, p1.metadata!.resourceVersion);
  // limit larger than the list: everything, no continue.
  const all = await t.get(C, { limit: 100 });
  assert.equal(all.items.length, 25);
  assert.equal(all.metadata!.continue, undefined);
});

test('paging with a label selector: pages of matches, a continue token, no remainingItemCount', async () => {
  const C = await fill('paging-sel', 9);
  const p1 = await t.get(C, { limit: 3, labelSelector: 'parity=even' });
  assert.deepEqual(names(p1), ['cm-00', 'cm-02', 'cm-04']);
  assert.ok(p1.metadata!.continue);
  assert.equal(p1.metadata!.remainingItemCount, undefined);
  const p2 = await t.get(C, { limit: 3, labelSelector: 'parity=even', continue: p1.metadata!.continue });
  assert.deepEqual(names(p2), ['cm-06', 'cm-08']);
  assert.equal(p2.metadata!.continue, undefined);
});

test('a continue token reads the first page’s revision: later writes do not show', async () => {
  const C = await fill('paging-snap', 25);
  const p1 = await t.get(C, { limit: 10 });
  // Writes after the first page: a new object inside page 2's range and one at the end,
  // an update and a delete of objects on later pages.
  await t.post(C, configMap('cm-15x'));
  await t.post(C, configMap('cm-99'));
  await t.patch(`${C}/cm-12`, 'merge', { data: { v: 'new' } });
  await t.del(`${C}/cm-20`);
  const p2 = await t.get(C, { limit: 10, continue: p1.metadata!.continue });
  const p3 = await t.get(C, { limit: 10, continue: p2.metadata!.continue });
  const rest = [...p2.items, ...p3.items];
  assert.deepEqual(
    rest.map((i) => i.metadata.name),
    Array.from({ length: 15 }, (_, i) => `cm-${i + 10}`),
  );
  assert.equal(rest.find((i) => i.metadata.name === 'cm-12').data.v, 'old');
  assert.equal(p2.metadata!.resourceVersion, p1.metadata!.resourceVersion);
  assert.equal(p2.metadata!.remainingItemCount, 5);
  // A fresh list sees the new state.
  const now = names(await t.get(C));
  assert.ok(now.includes('cm-15x') && now.includes('cm-99') && !now.includes('cm-20'));
});

test('an invalid continue token → 400; a resourceVersion with continue → 400', async () => {
  const C = await fill('paging-bad', 3);
  const bad = await t.fail('GET', C, { query: { limit: 1, continue: 'not-a-token' } });
  assert.equal(bad.code, 400);
  assert.equal(bad.reason, 'BadRequest');
  const p1 = await t.get(C, { limit: 1 });
  const both = await t.fail('GET', C, { query: { limit: 1, continue: p1.metadata!.continue, resourceVersion: p1.metadata!.resourceVersion } });
  assert.equal(both.code, 400);
  assert.equal(both.message, 'specifying resource version is not allowed when using continue');
});

test('a continue token whose revision was compacted → 410 Expired', async () => {
  const C = await fill('paging-compact', 5);
  const p1 = await t.get(C, { limit: 2 });
  await t.patch(`${C}/cm-03`, 'merge', { data: { v: 'x' } });
  await t.store.compact(await t.store.currentRevision());
  const st = await t.fail('GET', C, { query: { limit: 2, continue: p1.metadata!.continue } });
  assert.equal(st.code, 410);
  assert.equal(st.reason, 'Expired');
});

test('resourceVersionMatch=Exact at an old revision returns the old state', async () => {
  await t.namespace('exact');
  const C = '/api/v1/namespaces/exact/configmaps';
  const a = await t.post(C, configMap('a', { v: '1' }));
  const old = (await t.get(C)).metadata!.resourceVersion;
  await t.patch(`${C}/a`, 'merge', { data: { v: '2' } });
  await t.post(C, configMap('b'));
  const then = await t.get(C, { resourceVersion: old, resourceVersionMatch: 'Exact' });
  assert.equal(then.metadata!.resourceVersion, old);
  assert.deepEqual(names(then), ['a']);
  assert.equal(then.items[0].data.v, '1');
  assert.equal(then.items[0].metadata.resourceVersion, a.metadata!.resourceVersion);
  // NotOlderThan (and no match) give at least that revision: the current state here.
  const nt = await t.get(C, { resourceVersion: old, resourceVersionMatch: 'NotOlderThan' });
  assert.deepEqual(names(nt), ['a', 'b']);
  assert.ok(Number(nt.metadata!.resourceVersion) > Number(old));
});

test('resourceVersion="0" answers from the cache, with items and a resourceVersion', async () => {
  await t.namespace('rv0');
  const C = '/api/v1/namespaces/rv0/configmaps';
  await t.post(C, configMap('x'));
  const l = await t.get(C, { resourceVersion: '0' });
  assert.equal(l.kind, 'ConfigMapList');
  assert.equal(l.apiVersion, 'v1');
  assert.deepEqual(names(l), ['x']);
  assert.match(l.metadata!.resourceVersion, /^[1-9]\d*$/);
  // Items of a list carry kind? Kubernetes omits kind/apiVersion on list items of typed lists;
  // what matters to clients is that every item has its own resourceVersion.
  assert.ok(l.items[0].metadata.resourceVersion);
});

test('invalid ListOptions are 422 Invalid (kind ListOptions), as Kubernetes validates them', async () => {
  const C = '/api/v1/namespaces/default/configmaps';
  const exact0 = await t.fail('GET', C, { query: { resourceVersion: '0', resourceVersionMatch: 'Exact' } });
  assert.equal(exact0.code, 422);
  assert.equal(exact0.reason, 'Invalid');
  assert.equal(exact0.details?.kind, 'ListOptions');
  assert.equal(exact0.details?.group, 'meta.k8s.io');
  assert.match(exact0.message, /resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"/);
  const unset = await t.fail('GET', C, { query: { resourceVersionMatch: 'NotOlderThan' } });
  assert.equal(unset.code, 422);
  assert.match(unset.message, /resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided/);
  const odd = await t.fail('GET', C, { query: { resourceVersion: '1', resourceVersionMatch: 'Newest' } });
  assert.equal(odd.code, 422);
  assert.match(odd.message, /resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""/);
});
