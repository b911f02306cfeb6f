// Deletion: finalizers, graceful pod deletion, propagation policies, deletecollection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { configMap, deployment, pod, TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('del');
});
after(() => t.close());

const CM = '/api/v1/namespaces/del/configmaps';
const PODS = '/api/v1/namespaces/del/pods';
const DEP = '/apis/apps/v1/namespaces/del/deployments';

test('finalizers: DELETE marks the object and keeps it; removing the last finalizer deletes it', async () => {
  const w = await t.watch(CM, { fieldSelector: 'metadata.name=fin' });
  const cm = await t.post(CM, configMap('fin', { a: '1' }, { finalizers: ['example.com/hold', 'example.com/other'] }));
  const r = await t.call('DELETE', `${CM}/fin`);
  assert.equal(r.status, 200);
  // Not deleted yet: the answer is the object itself, marked.
  assert.equal(r.body.kind, 'ConfigMap');
  assert.ok(r.body.metadata!.deletionTimestamp);
  assert.equal(r.body.metadata!.deletionGracePeriodSeconds, 0);
  assert.deepEqual(r.body.metadata!.finalizers, ['example.com/hold', 'example.com/other']);
  assert.ok(Number(r.body.metadata!.resourceVersion) > Number(cm.metadata!.resourceVersion));
  const got = await t.get(`${CM}/fin`);
  assert.equal(got.metadata!.deletionTimestamp, r.body.metadata!.deletionTimestamp);

  // A second DELETE changes nothing.
  const again = await t.del(`${CM}/fin`);
  assert.equal(again.metadata!.resourceVersion, got.metadata!.resourceVersion);

  // Other fields may still change while it waits.
  const data = await t.patch(`${CM}/fin`, 'merge', { data: { a: '2' } });
  assert.equal(data.data.a, '2');
  assert.equal(data.metadata!.deletionTimestamp, got.metadata!.deletionTimestamp);

  // Removing one finalizer keeps it; removing the last one deletes it.
  await t.patch(`${CM}/fin`, 'json', [{ op: 'remove', path: '/metadata/finalizers/0' }]);
  assert.ok(await t.exists(`${CM}/fin`));
  await t.patch(`${CM}/fin`, 'merge', { metadata: { finalizers: null } });
  assert.equal(await t.exists(`${CM}/fin`), false);
  await w.until((e) => e.some((x) => x.type === 'DELETED'), 2000, 'DELETED');
  assert.deepEqual(
    w.summary().map((s) => s[0]),
    ['ADDED', 'MODIFIED', 'MODIFIED', 'MODIFIED', 'DELETED'],
  );
});

test('finalizers: no new finalizer may be added to an object being deleted (422)', async () => {
  await t.post(CM, configMap('fin2', { a: '1' }, { finalizers: ['example.com/hold'] }));
  const marked = await t.del(`${CM}/fin2`);
  const st = await t.fail('PUT', `${CM}/fin2`, { body: { ...marked, metadata: { ...marked.metadata, finalizers: ['example.com/hold', 'example.com/new'] } } });
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.match(
    st.message,
    /metadata\.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"example\.com\/new"\}/,
  );
  assert.equal(st.details.causes[0].field, 'metadata.finalizers');
  assert.equal(st.details.causes[0].reason, 'FieldValueForbidden');
  // deletionTimestamp cannot be cleared by an update either.
  const cleared = await t.put(`${CM}/fin2`, { ...marked, metadata: { ...marked.metadata, deletionTimestamp: undefined } });
  assert.equal(cleared.metadata!.deletionTimestamp, marked.metadata!.deletionTimestamp);
  await t.patch(`${CM}/fin2`, 'merge', { metadata: { finalizers: [] } });
  assert.equal(await t.exists(`${CM}/fin2`), false);
});

test('pods: graceful deletion of a scheduled pod marks it; gracePeriodSeconds=0 then removes it', async () => {
  await t.post(PODS, pod('graceful', { nodeName: 'node-1' }));
  const started = Date.now();
  const r = await t.call('DELETE', `${PODS}/graceful`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Pod');
  assert.equal(r.body.metadata!.deletionGracePeriodSeconds, 30);
  const at = Date.parse(r.body.metadata!.deletionTimestamp);
  assert.ok(at >= started + 28_000 && at <= started + 31_000, `deletionTimestamp ${r.body.metadata!.deletionTimestamp} is not ~30s ahead`);
  assert.ok(await t.exists(`${PODS}/graceful`));

  // Without a shorter grace period, a second DELETE changes nothing and answers the pod.
  const again = await t.call('DELETE', `${PODS}/graceful`);
  assert.equal(again.body.kind, 'Pod');
  assert.equal(again.body.metadata!.resourceVersion, r.body.metadata!.resourceVersion);
  // A shorter one moves the deadline.
  const shorter = await t.del(`${PODS}/graceful`, { gracePeriodSeconds: 10 });
  assert.equal(shorter.metadata!.deletionGracePeriodSeconds, 10);
  assert.ok(Date.parse(shorter.metadata!.deletionTimestamp) < at);
  assert.ok(await t.exists(`${PODS}/graceful`));

  const gone = await t.call('DELETE', `${PODS}/graceful`, { query: { gracePeriodSeconds: 0 } });
  assert.equal(gone.status, 200);
  assert.equal(gone.body.kind, 'Pod');
  assert.equal(gone.body.metadata!.name, 'graceful');
  assert.equal(await t.exists(`${PODS}/graceful`), false);
});

test('pods: the grace period may come from DeleteOptions in the body, and from spec.terminationGracePeriodSeconds', async () => {
  await t.post(PODS, pod('body-grace', { nodeName: 'node-1', terminationGracePeriodSeconds: 5 }));
  const d = await t.del(`${PODS}/body-grace`);
  assert.equal(d.metadata!.deletionGracePeriodSeconds, 5);
  await t.del(`${PODS}/body-grace`, undefined, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
  assert.equal(await t.exists(`${PODS}/body-grace`), false);
});

test('pods: a negative gracePeriodSeconds counts as 1 second, not as "now"', async () => {
  await t.post(PODS, pod('negative', { nodeName: 'node-1' }));
  const d = await t.del(`${PODS}/negative`, { gracePeriodSeconds: -1 });
  assert.equal(d.metadata!.deletionGracePeriodSeconds, 1);
  assert.ok(await t.exists(`${PODS}/negative`));
});

test('pods: an unscheduled pod, or a finished one, is deleted at once and DELETE returns the Pod', async () => {
  const p = await t.post(PODS, pod('unscheduled'));
  const r = await t.call('DELETE', `${PODS}/unscheduled`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Pod');
  assert.equal(r.body.metadata!.uid, p.metadata!.uid);
  assert.equal(r.body.metadata!.deletionTimestamp, undefined);
  assert.equal(await t.exists(`${PODS}/unscheduled`), false);

  const done = await t.post(PODS, pod('finished', { nodeName: 'node-1' }));
  await t.put(`${PODS}/finished/status`, { ...done, status: { ...done.status, phase: 'Succeeded' } });
  await t.del(`${PODS}/finished`);
  assert.equal(await t.exists(`${PODS}/finished`), false);
});

test('a deleted non-pod object answers a Status with details (name, kind = resource, uid)', async () => {
  const cm = await t.post(CM, configMap('plain'));
  const r = await t.call('DELETE', `${CM}/plain`);
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.status, 'Success');
  assert.deepEqual(JSON.parse(JSON.stringify(r.body.details)), { name: 'plain', kind: 'configmaps', uid: cm.metadata!.uid });
  const st = await t.fail('DELETE', `${CM}/plain`);
  assert.equal(st.code, 404);
  assert.equal(st.reason, 'NotFound');
  assert.equal(st.message, 'configmaps "plain" not found');
});

test('pods/binding sets spec.nodeName once; a second binding is a 409 Conflict', async () => {
  await t.post(PODS, pod('bind-me'));
  const r = await t.call('POST', `${PODS}/bind-me/binding`, {
    body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } },
  });
  assert.equal(r.status, 201);
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.status, 'Success');
  const p = await t.get(`${PODS}/bind-me`);
  assert.equal(p.spec.nodeName, 'node-a');
  assert.ok(p.status.conditions.some((c: any) => c.type === 'PodScheduled' && c.status === 'True'));

  const st = await t.fail('POST', `${PODS}/bind-me/binding`, {
    body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bind-me' }, target: { kind: 'Node', name: 'node-b' } },
  });
  assert.equal(st.code, 409);
  assert.equal(st.reason, 'Conflict');
  assert.equal(st.message, 'Operation cannot be fulfilled on pods/binding "bind-me": pod bind-me is already assigned to node "node-a"');
  assert.equal((await t.get(`${PODS}/bind-me`)).spec.nodeName, 'node-a');
  // Binding a missing pod: 404.
  const missing = await t.fail('POST', `${PODS}/nope/binding`, { body: { metadata: { name: 'nope' }, target: { kind: 'Node', name: 'n' } } });
  assert.equal(missing.code, 404);
});

test('propagationPolicy Foreground and Orphan add their finalizers and keep the object; Background deletes', async () => {
  const d = await t.post(DEP, deployment('fg'));
  const fg = await t.del(`${DEP}/fg`, { propagationPolicy: 'Foreground' });
  assert.deepEqual(fg.metadata!.finalizers, ['foregroundDeletion']);
  assert.ok(fg.metadata!.deletionTimestamp);
  // Marking a generational object for deletion bumps its generation.
  assert.equal(fg.metadata!.generation, d.metadata!.generation + 1);
  assert.ok(await t.exists(`${DEP}/fg`));

  await t.post(DEP, deployment('orph'));
  const o = await t.del(`${DEP}/orph`, undefined, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' });
  assert.deepEqual(o.metadata!.finalizers, ['orphan']);
  assert.ok(await t.exists(`${DEP}/orph`));

  // orphanDependents=true (the deprecated form) is Orphan too.
  await t.post(CM, configMap('orph-cm'));
  const oc = await t.del(`${CM}/orph-cm`, { orphanDependents: true });
  assert.deepEqual(oc.metadata!.finalizers, ['orphan']);

  await t.post(DEP, deployment('bg'));
  const bg = await t.del(`${DEP}/bg`, { propagationPolicy: 'Background' });
  assert.equal(bg.kind, 'Status');
  assert.equal(await t.exists(`${DEP}/bg`), false);

  const bad = await t.fail('DELETE', `${DEP}/fg`, { query: { propagationPolicy: 'Sideways' } });
  assert.equal(bad.code, 422);
  assert.equal(bad.reason, 'Invalid');
  assert.match(bad.message, /propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil"/);
});

test('deletecollection with a label selector deletes only the matching objects', async () => {
  await t.namespace('delcol');
  const C = '/api/v1/namespaces/delcol/configmaps';
  for (const [name, app] of [
    ['a1', 'x'],
    ['a2', 'x'],
    ['b1', 'y'],
    ['c1', ''],
  ] as const)
    await t.post(C, configMap(name, { a: '1' }, app ? { labels: { app } } : {}));
  const r = await t.call('DELETE', C, { query: { labelSelector: 'app=x' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.kind, 'ConfigMapList');
  assert.deepEqual(r.body.items.map((i: any) => i.metadata.name).sort(), ['a1', 'a2']);
  const left = await t.get(C);
  assert.deepEqual(
    left.items.map((i: any) => i.metadata.name),
    ['b1', 'c1'],
  );
  // A field selector works as well, and other namespaces are untouched.
  await t.post(CM, configMap('b1'));
  await t.del(C, { fieldSelector: 'metadata.name=b1' });
  assert.deepEqual(
    (await t.get(C)).items.map((i: any) => i.metadata.name),
    ['c1'],
  );
  assert.ok(await t.exists(`${CM}/b1`));
});

test('delete preconditions: a wrong uid or resourceVersion → 409 Conflict, and nothing is deleted', async () => {
  const cm = await t.post(CM, configMap('pre'));
  const uid = await t.fail('DELETE', `${CM}/pre`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-it' } } });
  assert.equal(uid.code, 409);
  assert.equal(uid.reason, 'Conflict');
  assert.equal(
    uid.message,
    `Operation cannot be fulfilled on ConfigMap "pre": the UID in the precondition (not-it) does not match the UID in record (${cm.metadata!.uid}). The object might have been deleted and then recreated`,
  );
  const rv = await t.fail('DELETE', `${CM}/pre`, { body: { preconditions: { resourceVersion: '1' } } });
  assert.equal(rv.code, 409);
  assert.match(rv.message, /the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record/);
  assert.ok(await t.exists(`${CM}/pre`));
  await t.del(`${CM}/pre`, undefined, { preconditions: { uid: cm.metadata!.uid, resourceVersion: cm.metadata!.resourceVersion } });
  assert.equal(await t.exists(`${CM}/pre`), false);
});
