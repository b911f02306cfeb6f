// Strategic merge patch, table-driven: each case is (kind, original, patch, expected),
// with Kubernetes' list semantics and every directive.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootType } from '../../src/apiserver/rest/apply/merge-meta.js';
import { applyPatch, strategicMerge } from '../../src/apiserver/rest/patch.js';
import { StatusError } from '../../src/apiserver/status.js';

interface Case {
  name: string;
  kind?: [string, string];
  original: unknown;
  patch: unknown;
  expected?: unknown;
  error?: number;
}

const c = (name: string, image = `${name}:1`, extra: Record<string, unknown> = {}) => ({ name, image, ...extra });
const pod = (spec: unknown) => ({ spec });
const deploy = (podSpec: unknown) => ({ spec: { template: { spec: podSpec } } });

const CASES: Case[] = [
  {
    name: 'maps merge, null deletes, scalars replace',
    original: { a: { x: 1, y: 2 }, b: 1 },
    patch: { a: { y: null, z: 3 }, b: 2 },
    expected: { a: { x: 1, z: 3 }, b: 2 },
  },
  { name: 'a null for an absent key is ignored', original: { a: 1 }, patch: { b: null, c: { d: null, e: 1 } }, expected: { a: 1, c: { e: 1 } } },
  {
    name: 'containers merge by name; a new one goes first (patch order before live order)',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a'), c('b')] }),
    patch: pod({ containers: [{ name: 'b', image: 'b:2' }, c('n')] }),
    expected: pod({ containers: [c('a'), { name: 'b', image: 'b:2' }, c('n')] }),
  },
  {
    name: 'a new container alone is put before the live ones',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a')] }),
    patch: pod({ containers: [c('n')] }),
    expected: pod({ containers: [c('n'), c('a')] }),
  },
  {
    name: 'env merges by name inside a deployment template',
    kind: ['apps', 'Deployment'],
    original: deploy({
      containers: [
        c('a', 'a:1', {
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        }),
      ],
    }),
    patch: deploy({ containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }] }] }),
    expected: deploy({
      containers: [
        c('a', 'a:1', {
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '3' },
          ],
        }),
      ],
    }),
  },
  {
    name: '$patch: delete removes a list item by merge key',
    kind: ['apps', 'Deployment'],
    original: deploy({
      containers: [
        c('a', 'a:1', {
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        }),
      ],
    }),
    patch: deploy({ containers: [{ name: 'a', env: [{ name: 'X', $patch: 'delete' }] }] }),
    expected: deploy({ containers: [c('a', 'a:1', { env: [{ name: 'Y', value: '2' }] })] }),
  },
  {
    name: '$patch: replace on a list replaces it whole',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a'), c('b')] }),
    patch: pod({ containers: [c('z'), { $patch: 'replace' }] }),
    expected: pod({ containers: [c('z')] }),
  },
  {
    name: '$patch: replace on a map replaces it whole',
    kind: ['', 'Pod'],
    original: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { c: '3', $patch: 'replace' } } },
    expected: { metadata: { labels: { c: '3' } } },
  },
  { name: '$patch: delete on a map empties it', original: { a: { x: 1 }, b: 1 }, patch: { a: { $patch: 'delete' } }, expected: { a: {}, b: 1 } },
  { name: '$patch: merge on a map is an ordinary merge', original: { a: { x: 1 } }, patch: { a: { y: 2, $patch: 'merge' } }, expected: { a: { x: 1, y: 2 } } },
  { name: 'an unknown $patch is a 400', original: { a: { x: 1 } }, patch: { a: { $patch: 'bogus' } }, error: 400 },
  {
    name: 'container ports merge on containerPort, volumeMounts on mountPath',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a', 'a:1', { ports: [{ containerPort: 80, protocol: 'TCP' }], volumeMounts: [{ name: 'v', mountPath: '/v' }] })] }),
    patch: pod({
      containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http' }, { containerPort: 443 }], volumeMounts: [{ mountPath: '/v', readOnly: true }] }],
    }),
    expected: pod({
      containers: [
        c('a', 'a:1', {
          ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }, { containerPort: 443 }],
          volumeMounts: [{ name: 'v', mountPath: '/v', readOnly: true }],
        }),
      ],
    }),
  },
  {
    name: 'service ports merge on port',
    kind: ['', 'Service'],
    original: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
    patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    expected: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
  },
  {
    name: 'tolerations (no strategy) are replaced whole',
    kind: ['', 'Pod'],
    original: pod({ tolerations: [{ key: 'a', operator: 'Exists' }] }),
    patch: pod({ tolerations: [{ key: 'b', operator: 'Exists' }] }),
    expected: pod({ tolerations: [{ key: 'b', operator: 'Exists' }] }),
  },
  {
    name: 'an unknown list field is replaced whole',
    original: { spec: { things: [{ name: 'a' }] } },
    patch: { spec: { things: [{ name: 'b' }] } },
    expected: { spec: { things: [{ name: 'b' }] } },
  },
  {
    name: 'finalizers merge as a set',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['b', 'c'] } },
    expected: { metadata: { finalizers: ['a', 'b', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList removes values from a set list',
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    expected: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList for an absent list does nothing',
    original: { metadata: {} },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    expected: { metadata: {} },
  },
  {
    name: 'ownerReferences merge by uid, conditions by type',
    kind: ['', 'Pod'],
    original: {
      metadata: { ownerReferences: [{ uid: '1', name: 'a' }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    },
    patch: { metadata: { ownerReferences: [{ uid: '1', controller: true }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    expected: {
      metadata: { ownerReferences: [{ uid: '1', name: 'a', controller: true }] },
      status: {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    },
  },
  {
    name: '$setElementOrder orders the merged list (kubectl apply sends it)',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a'), c('b'), c('c')] }),
    patch: pod({ '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'a:2' }] }),
    expected: pod({ containers: [c('c'), { name: 'a', image: 'a:2' }, c('b')] }),
  },
  {
    name: '$setElementOrder places a new item where the order says',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a'), c('b')] }),
    patch: pod({ '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }, { name: 'b' }], containers: [c('n')] }),
    expected: pod({ containers: [c('a'), c('n'), c('b')] }),
  },
  {
    name: '$setElementOrder with deletions (three-way apply removing an env var)',
    kind: ['apps', 'Deployment'],
    original: deploy({
      containers: [
        c('a', 'a:1', {
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
            { name: 'Z', value: '3' },
          ],
        }),
      ],
    }),
    patch: deploy({
      '$setElementOrder/containers': [{ name: 'a' }],
      containers: [{ name: 'a', '$setElementOrder/env': [{ name: 'Z' }, { name: 'X' }], env: [{ name: 'Y', $patch: 'delete' }] }],
    }),
    expected: deploy({
      containers: [
        c('a', 'a:1', {
          env: [
            { name: 'Z', value: '3' },
            { name: 'X', value: '1' },
          ],
        }),
      ],
    }),
  },
  {
    name: '$setElementOrder for a primitive set list',
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { '$setElementOrder/finalizers': ['b', 'c', 'a'], finalizers: ['c'] } },
    expected: { metadata: { finalizers: ['b', 'c', 'a'] } },
  },
  { name: '$setElementOrder that is not a list is a 400', original: { metadata: {} }, patch: { metadata: { '$setElementOrder/finalizers': 'x' } }, error: 400 },
  {
    name: '$retainKeys clears the keys it does not name (deployment strategy)',
    kind: ['apps', 'Deployment'],
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    expected: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: '$retainKeys on a volume switches its source',
    kind: ['', 'Pod'],
    original: pod({ volumes: [{ name: 'v', emptyDir: {} }] }),
    patch: pod({ volumes: [{ name: 'v', $retainKeys: ['name', 'configMap'], configMap: { name: 'cm' } }] }),
    expected: pod({ volumes: [{ name: 'v', configMap: { name: 'cm' } }] }),
  },
  { name: '$retainKeys naming fewer keys than the patch sets is a 400', original: { a: {} }, patch: { a: { $retainKeys: ['x'], y: 1 } }, error: 400 },
  {
    name: 'a list item without its merge key is an error',
    kind: ['', 'Pod'],
    original: pod({ containers: [c('a')] }),
    patch: pod({ containers: [{ image: 'x' }] }),
    error: 500,
  },
  {
    name: 'directives inside values new to the object are applied, not stored',
    kind: ['', 'Pod'],
    original: pod({}),
    patch: pod({
      containers: [
        c('a', 'a:1', {
          env: [
            { name: 'X', value: '1' },
            { name: 'G', $patch: 'delete' },
          ],
        }),
      ],
      hostAliases: [{ ip: '1.2.3.4', hostnames: ['x'] }],
    }),
    expected: pod({ containers: [c('a', 'a:1', { env: [{ name: 'X', value: '1' }] })], hostAliases: [{ ip: '1.2.3.4', hostnames: ['x'] }] }),
  },
  {
    name: 'imagePullSecrets and topologySpreadConstraints merge by their keys',
    kind: ['', 'Pod'],
    original: pod({ imagePullSecrets: [{ name: 'a' }], topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 1 }] }),
    patch: pod({ imagePullSecrets: [{ name: 'b' }], topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 2 }] }),
    expected: pod({ imagePullSecrets: [{ name: 'b' }, { name: 'a' }], topologySpreadConstraints: [{ topologyKey: 'zone', maxSkew: 2 }] }),
  },
  {
    name: 'a type change replaces the value',
    original: { a: { x: 1 }, b: [1] },
    patch: { a: 'str', b: { y: 1 } },
    expected: { a: 'str', b: { y: 1 } },
  },
];

for (const tc of CASES) {
  test(`strategic merge: ${tc.name}`, () => {
    const type = rootType(...(tc.kind ?? ['', 'ConfigMap']));
    const before = JSON.stringify(tc.original);
    const run = () => strategicMerge(tc.original, structuredClone(tc.patch), type);
    if (tc.error) {
      assert.throws(run, (e: unknown) => e instanceof StatusError && e.code === tc.error);
      return;
    }
    assert.deepEqual(run(), tc.expected);
    assert.equal(JSON.stringify(tc.original), before, 'the original is not modified');
  });
}

test('applyPatch picks the merge rules from the object kind', () => {
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, ...deploy({ containers: [c('a'), c('b')] }) };
  const out = applyPatch(dep, 'application/strategic-merge-patch+json', deploy({ containers: [{ name: 'b', image: 'b:9' }] }));
  assert.deepEqual(out.spec.template.spec.containers, [c('a'), { name: 'b', image: 'b:9' }]);
  // The same list under a kind without merge rules (a ConfigMap-like object) is replaced.
  const other = applyPatch(
    { apiVersion: 'v1', kind: 'ConfigMap', ...deploy({ containers: [c('a')] }) },
    'application/strategic-merge-patch+json',
    deploy({ containers: [c('b')] }),
  );
  assert.deepEqual(other.spec.template.spec.containers, [c('b')]);
});
