// Field sets and FieldsV1: the round trip, set algebra, paths as Kubernetes prints them,
// and the comparison that attributes a write's changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FieldSet, containedInRaw, intersectsRaw, pathString } from '../../src/apiserver/rest/apply/fieldset.js';
import { rootType } from '../../src/apiserver/rest/apply/merge-meta.js';
import { compareObjects, mergeObject, toFieldSet } from '../../src/apiserver/rest/apply/typed.js';

const V1 = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } }, 'f:replicas': {} },
};

test('FieldsV1 decodes and encodes back to the same document', () => {
  const s = FieldSet.fromFieldsV1(V1);
  assert.deepEqual(s.toFieldsV1(), V1);
  assert.ok(s.has(['f:metadata', 'f:labels']));
  assert.ok(!s.has(['f:metadata']));
  assert.ok(s.has(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image']));
  assert.throws(() => FieldSet.fromFieldsV1({ 'x:bad': {} }));
});

test('set algebra: union, difference, intersection, recursive difference', () => {
  const a = FieldSet.fromFieldsV1(V1);
  const b = new FieldSet();
  b.insert(['f:spec', 'f:replicas']);
  b.insert(['f:data', 'f:x']);
  assert.deepEqual(a.intersection(b).paths(), [['f:spec', 'f:replicas']]);
  assert.equal(a.difference(b).has(['f:spec', 'f:replicas']), false);
  assert.ok(a.union(b).has(['f:data', 'f:x']));
  const spec = new FieldSet();
  spec.insert(['f:spec']);
  assert.deepEqual(a.recursiveDifference(spec).toFieldsV1(), { 'f:metadata': V1['f:metadata'] });
  assert.ok(intersectsRaw(b, V1));
  assert.ok(!containedInRaw(b, V1));
  assert.ok(containedInRaw(a, V1));
});

test('paths print as structured-merge-diff prints them', () => {
  assert.equal(pathString(['f:spec', 'f:replicas']), '.spec.replicas');
  assert.equal(pathString(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image']), '.spec.containers[name="c"].image');
  assert.equal(pathString(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}']), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"a"']), '.metadata.finalizers[="a"]');
  assert.equal(pathString(['f:args', 'i:2']), '.args[2]');
});

test('toFieldSet: list items by keys (with defaulted key fields), sets by value, atomic lists whole', () => {
  const set = toFieldSet(
    { metadata: { finalizers: ['a'] }, spec: { containers: [{ name: 'c', args: ['x'], ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'k' }] } },
    rootType('', 'Pod'),
  );
  assert.deepEqual(set.toFieldsV1(), {
    'f:metadata': { 'f:finalizers': { 'v:"a"': {} } },
    'f:spec': {
      'f:containers': {
        'k:{"name":"c"}': { '.': {}, 'f:args': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } },
      },
      'f:tolerations': {},
    },
  });
});

test('compareObjects: what a write added, changed and removed', () => {
  const before = {
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'a', image: 'x' },
            { name: 'b', image: 'y' },
          ],
        },
      },
    },
  };
  const after = {
    metadata: { labels: { l: '1' } },
    spec: { replicas: 2, strategy: { rollingUpdate: { maxSurge: 1 } }, template: { spec: { containers: [{ name: 'a', image: 'x' }] } } },
  };
  const c = compareObjects(before, after, rootType('apps', 'Deployment'));
  assert.deepEqual(c.changed.toFieldsV1(), {
    'f:metadata': { 'f:labels': { '.': {}, 'f:l': {} } },
    'f:spec': { 'f:replicas': {}, 'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} } } },
  });
  assert.deepEqual(c.removed.toFieldsV1(), {
    'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
  });
});

test('mergeObject: associative lists merge by key, keeping live order; atomic values are replaced', () => {
  const live = {
    spec: {
      containers: [
        { name: 'a', image: 'x', tty: true },
        { name: 'b', image: 'y' },
      ],
      tolerations: [{ key: 'k1' }],
    },
  };
  const cfg = {
    spec: {
      containers: [
        { name: 'n', image: 'z' },
        { name: 'b', image: 'y2' },
      ],
      tolerations: [{ key: 'k2' }],
    },
  };
  const m = mergeObject(live, cfg, rootType('', 'Pod'));
  assert.deepEqual(m.spec.containers, [
    { name: 'a', image: 'x', tty: true },
    { name: 'n', image: 'z' },
    { name: 'b', image: 'y2' },
  ]);
  assert.deepEqual(m.spec.tolerations, [{ key: 'k2' }]);
  assert.deepEqual(live.spec.containers[1], { name: 'b', image: 'y' }, 'live is not modified');
});
