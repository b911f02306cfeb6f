// CustomResourceDefinitions in-process: validation of the CRD, serving within the second,
// schema validation, defaulting and pruning of custom objects, subresources, versions,
// printer columns, and deletion of a CRD with its objects.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { resourceList } from '../../src/apiserver/discovery.js';
import { toTable } from '../../src/apiserver/table-convert.js';
import { cronTab, cronTabCRD } from './crd-fixtures.js';
import { TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.api.crds.start();
});
after(async () => {
  t.api.crds.stop();
  await t.close();
});

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CT = '/apis/stable.example.com/v1/namespaces/default/crontabs';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 1000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a CRD must name exactly one storage version, a dotted group, plural.group as its name, and a structural schema', async () => {
  const bad = cronTabCRD();
  bad.spec.versions[1].storage = true;
  let st = await t.fail('POST', CRDS, { body: bad });
  assert.equal(st.code, 422);
  assert.match(st.message, /spec\.versions: Invalid value: .*must have exactly one version marked as storage version/);

  const name = cronTabCRD();
  name.metadata!.name = 'wrong.stable.example.com';
  st = await t.fail('POST', CRDS, { body: name });
  assert.match(st.message, /metadata\.name: Invalid value: "wrong\.stable\.example\.com": must be spec\.names\.plural\+"\."\+spec\.group/);

  const group = cronTabCRD({ group: 'nodot' });
  st = await t.fail('POST', CRDS, { body: group });
  assert.match(st.message, /spec\.group: Invalid value: "nodot": should be a domain with at least one dot/);

  const untyped = cronTabCRD();
  delete untyped.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.image.type;
  st = await t.fail('POST', CRDS, { body: untyped });
  assert.match(
    st.message,
    /spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.properties\[image\]\.type: Required value: must not be empty for specified object fields/,
  );
  assert.equal(st.details.causes[0].field, 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[image].type');

  const noSchema = cronTabCRD();
  delete noSchema.spec.versions[0].schema;
  st = await t.fail('POST', CRDS, { body: noSchema });
  assert.match(st.message, /spec\.versions\[0\]\.schema\.openAPIV3Schema: Required value: schemas are required/);
});

test('a new CRD is defaulted, Established and served (discovery, short names, categories) within 1 s', async () => {
  const started = Date.now();
  const crd = await t.post(CRDS, cronTabCRD());
  assert.equal(crd.spec.names.listKind, 'CronTabList');
  assert.equal(crd.spec.conversion.strategy, 'None');
  assert.deepEqual(crd.status.storedVersions, ['v1']);
  const served = await until('Established', async () => {
    const c = await t.get(`${CRDS}/crontabs.stable.example.com`);
    return c.status.conditions?.find((x: any) => x.type === 'Established' && x.status === 'True') ? c : undefined;
  });
  assert.ok(Date.now() - started < 1000);
  const names = served.status.conditions.find((x: any) => x.type === 'NamesAccepted');
  assert.equal(names.status, 'True');
  assert.equal(names.reason, 'NoConflicts');
  assert.equal(served.status.acceptedNames.kind, 'CronTab');
  const list = resourceList(t.api.storage.registry, 'stable.example.com', 'v1') as any;
  const r = list.resources.find((x: any) => x.name === 'crontabs');
  assert.deepEqual(r.shortNames, ['ct']);
  assert.deepEqual(r.categories, ['all']);
  assert.equal(r.namespaced, true);
  assert.ok(list.resources.some((x: any) => x.name === 'crontabs/status'));
  assert.ok(list.resources.some((x: any) => x.name === 'crontabs/scale'));
  assert.equal(t.api.storage.registry.groups().find((g) => g.name === 'stable.example.com')!.versions[0], 'v1');
});

test('custom objects: schema defaults filled, unknown fields pruned, preserved where the schema says so', async () => {
  const obj = await t.post(
    CT,
    cronTab('a', {
      cronSpec: '* * * * */5',
      bogus: 'dropped',
      port: 'http',
      extra: { anything: { goes: 1 } },
      items: [{ name: 'x', junk: true }],
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', weird: 1 }, spec: { x: 1 } },
    }),
  );
  assert.equal(obj.spec.replicas, 1);
  assert.equal(obj.spec.mode, 'slow');
  assert.equal(obj.spec.bogus, undefined);
  assert.deepEqual(obj.spec.extra, { anything: { goes: 1 } });
  assert.deepEqual(obj.spec.items, [{ name: 'x', size: 5 }]);
  assert.equal(obj.spec.port, 'http');
  assert.deepEqual(obj.spec.template.metadata, { name: 'p' });
  assert.equal(obj.metadata!.generation, 1);
  const got = await t.get(`${CT}/a`);
  assert.equal(got.spec.bogus, undefined);
  assert.equal(got.apiVersion, 'stable.example.com/v1');
  const n = await t.post(CT, cronTab('b', { cronSpec: '* * * * *', port: 8080, note: null }));
  assert.equal(n.spec.port, 8080);
  assert.equal(n.spec.note, null);
});

test('invalid custom objects are refused with the schema errors and their field paths (422)', async () => {
  let st = await t.fail('POST', CT, { body: cronTab('bad', { cronSpec: '* * * * *', replicas: 'three' }) });
  assert.equal(st.code, 422);
  assert.equal(st.reason, 'Invalid');
  assert.equal(
    st.message,
    'CronTab.stable.example.com "bad" is invalid: spec.replicas: Invalid value: "three": spec.replicas in body must be of type integer: "string"',
  );
  assert.equal(st.details.causes[0].field, 'spec.replicas');
  assert.equal(st.details.causes[0].reason, 'FieldValueTypeInvalid');

  st = await t.fail('POST', CT, { body: cronTab('bad', { cronSpec: 'nope', replicas: 11, mode: 'medium' }) });
  assert.match(st.message, /spec\.cronSpec: Invalid value: "nope": spec\.cronSpec in body should match/);
  assert.match(st.message, /spec\.replicas: Invalid value: 11: spec\.replicas in body should be less than or equal to 10/);
  assert.match(st.message, /spec\.mode: Unsupported value: "medium": supported values: "fast", "slow"/);

  st = await t.fail('POST', CT, { body: cronTab('bad', { image: 'x', items: [{ size: 1 }], when: 'yesterday' }) });
  assert.match(st.message, /spec\.cronSpec: Required value/);
  assert.match(st.message, /spec\.items\[0\]\.name: Required value/);
  assert.match(st.message, /spec\.when: Invalid value: "yesterday": spec\.when in body must be of type date-time: "yesterday"/);

  st = await t.fail('POST', CT, { body: cronTab('bad', { cronSpec: '* * * * *', port: 1.5, template: { metadata: {} } }) });
  assert.match(st.message, /spec\.port/);
  assert.match(st.message, /spec\.template\.apiVersion: Required value/);
  assert.match(st.message, /spec\.template\.kind: Required value/);
});

test('status subresource: the main resource ignores status, /status changes only status', async () => {
  await t.post(CT, { ...cronTab('s', { cronSpec: '* * * * *' }), status: { phase: 'ignored' } });
  let o = await t.get(`${CT}/s`);
  assert.equal(o.status, undefined);
  o.status = { phase: 'Running', replicas: 1 };
  o.spec.image = 'changed-through-status';
  await t.put(`${CT}/s/status`, o);
  o = await t.get(`${CT}/s`);
  assert.equal(o.status.phase, 'Running');
  assert.equal(o.spec.image, undefined);
  assert.equal(o.metadata!.generation, 1);
  o.spec.image = 'web';
  o.status.phase = 'ignored';
  const u = await t.put(`${CT}/s`, o);
  assert.equal(u.status.phase, 'Running');
  assert.equal(u.metadata!.generation, 2);
  const st = await t.fail('PUT', `${CT}/s/status`, { body: { ...u, status: { replicas: 'x' } } });
  assert.match(st.message, /status\.replicas in body must be of type integer/);
});

test('scale subresource reads and writes the CRD-declared paths', async () => {
  await t.post(CT, cronTab('sc', { cronSpec: '* * * * *', replicas: 2, selector: 'app=sc' }));
  const scale = await t.get(`${CT}/sc/scale`);
  assert.equal(scale.kind, 'Scale');
  assert.equal(scale.spec.replicas, 2);
  assert.equal(scale.status.selector, 'app=sc');
  await t.put(`${CT}/sc/scale`, { ...scale, spec: { replicas: 4 } });
  assert.equal((await t.get(`${CT}/sc`)).spec.replicas, 4);
  const st = await t.fail('PUT', `${CT}/sc/scale`, { body: { ...scale, metadata: { name: 'sc' }, spec: { replicas: 40 } } });
  assert.match(st.message, /spec\.replicas in body should be less than or equal to 10/);
});

test('a second served version: same objects, only apiVersion differs; stored in the storage version', async () => {
  const beta = '/apis/stable.example.com/v1beta1/namespaces/default/crontabs';
  const created = await t.post(beta, cronTab('beta', { cronSpec: '* * * * *' }, 'stable.example.com/v1beta1'));
  assert.equal(created.apiVersion, 'stable.example.com/v1beta1');
  const v1 = await t.get(`${CT}/beta`);
  assert.equal(v1.apiVersion, 'stable.example.com/v1');
  const raw = await t.store.get('/registry/stable.example.com/crontabs/default/beta');
  assert.equal(JSON.parse(raw!.value).apiVersion, 'stable.example.com/v1');
  const list = await t.get(beta);
  assert.ok(list.items.every((i: any) => i.apiVersion === 'stable.example.com/v1beta1'));
  assert.ok(list.items.length >= 3);
});

test('printer columns become table columns, dates shown as ages', async () => {
  const def = t.api.storage.registry.lookup('stable.example.com', 'v1', 'crontabs')!;
  const obj = await t.get(`${CT}/sc`);
  const table = toTable(def, obj, false, { version: 'v1', include: 'None' }) as any;
  assert.deepEqual(
    table.columnDefinitions.map((c: any) => c.name),
    ['Name', 'Spec', 'Replicas', 'Age'],
  );
  const [name, spec, replicas, age] = table.rows[0].cells;
  assert.deepEqual([name, spec, replicas], ['sc', '* * * * *', 4]);
  assert.match(age, /^\d+s$/);
  const beta = t.api.storage.registry.lookup('stable.example.com', 'v1beta1', 'crontabs')!;
  assert.deepEqual(
    beta.table!.columns.map((c) => c.name),
    ['Name', 'Age'],
  );
});

test('scope cannot change; a conflicting plural in the same group is not accepted', async () => {
  const crd = await t.get(`${CRDS}/crontabs.stable.example.com`);
  crd.spec.scope = 'Cluster';
  const st = await t.fail('PUT', `${CRDS}/crontabs.stable.example.com`, { body: crd });
  assert.match(st.message, /spec\.scope: Invalid value: "Cluster": field is immutable/);

  const other = cronTabCRD();
  other.metadata!.name = 'crontabz.stable.example.com';
  other.spec.names = { plural: 'crontabz', singular: 'crontabz', kind: 'CronTab' };
  await t.post(CRDS, other);
  const c = await until('NamesAccepted=False', async () => {
    const x = await t.get(`${CRDS}/crontabz.stable.example.com`);
    return x.status.conditions?.find((k: any) => k.type === 'NamesAccepted' && k.status === 'False') ? x : undefined;
  });
  const cond = c.status.conditions.find((k: any) => k.type === 'NamesAccepted');
  assert.equal(cond.reason, 'KindConflict');
  assert.ok(!t.api.storage.registry.lookup('stable.example.com', 'v1', 'crontabz'));
  await t.del(`${CRDS}/crontabz.stable.example.com`);
});

test('a default added to the schema later shows on objects stored before it; updated CRDs are re-served', async () => {
  const crd = await t.get(`${CRDS}/crontabs.stable.example.com`);
  crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.color = { type: 'string', default: 'blue' };
  crd.spec.versions[0].additionalPrinterColumns.push({ name: 'Color', type: 'string', jsonPath: '.spec.color' });
  const updated = await t.put(`${CRDS}/crontabs.stable.example.com`, crd);
  assert.equal(updated.metadata!.generation, 2);
  const o = await until('re-served with the new default', async () => {
    const x = await t.get(`${CT}/sc`);
    return x.spec.color === 'blue' ? x : undefined;
  });
  assert.equal(o.spec.replicas, 4);
  const raw = JSON.parse((await t.store.get('/registry/stable.example.com/crontabs/default/sc'))!.value);
  assert.equal(raw.spec.color, undefined);
  const def = t.api.storage.registry.lookup('stable.example.com', 'v1', 'crontabs')!;
  assert.deepEqual(
    def.table!.columns.map((c) => c.name),
    ['Name', 'Spec', 'Replicas', 'Age', 'Color'],
  );
});

test('deleting a CRD deletes its objects, then the CRD, then stops serving it', async () => {
  const r = await t.call('DELETE', `${CRDS}/crontabs.stable.example.com`);
  assert.ok(r.body.metadata!.deletionTimestamp);
  assert.ok(r.body.metadata!.finalizers.includes('customresourcecleanup.apiextensions.k8s.io'));
  await until('CRD gone', async () => !(await t.exists(`${CRDS}/crontabs.stable.example.com`)), 3000);
  assert.equal((await t.store.list('/registry/stable.example.com/')).items.length, 0);
  await until('unserved', () => !t.api.storage.registry.lookup('stable.example.com', 'v1', 'crontabs'));
  assert.equal(resourceList(t.api.storage.registry, 'stable.example.com', 'v1'), undefined);
  const st = await t.fail('GET', CT);
  assert.equal(st.code, 404);
});
