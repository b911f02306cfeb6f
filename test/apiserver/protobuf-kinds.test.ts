// Every kind the API server serves (its discovery documents, subresource kinds included) has a
// protobuf form: an example filled in from Skiff's own schema of the kind, every property set,
// goes through protobuf and comes back as the same JSON.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinRegistry } from '../../src/api/builtin.js';
import { builtinSchema, builtinSchemaName, type Schema } from '../../src/api/schemas/index.js';
import { resourceList } from '../../src/apiserver/discovery.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, messageFor } from '../../src/apiserver/protobuf/envelope.js';
import { KIND_MESSAGES } from '../../src/apiserver/protobuf/wire.generated.js';
import { MetricsApi } from '../../src/metrics/api.js';

type Obj = Record<string, unknown>;

const registry = builtinRegistry();
const served: { group: string; version: string; kind: string }[] = [];
for (const { name, versions } of registry.groups()) {
  for (const version of versions) {
    const doc = resourceList(registry, name, version) as { resources: { name: string; kind: string; group?: string; version?: string }[] };
    for (const r of doc.resources) {
      const gvk = { group: r.group ?? name, version: r.version ?? version, kind: r.kind };
      if (!served.some((s) => s.group === gvk.group && s.version === gvk.version && s.kind === gvk.kind)) served.push(gvk);
    }
  }
}

// metrics.k8s.io is served in process by an aggregated API, outside the registry.
const metricsApi = new MetricsApi({} as never);
for (const version of metricsApi.versions) {
  for (const r of metricsApi.resources()) served.push({ group: metricsApi.group, version, kind: r.kind });
}

const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const SCALAR_EXAMPLES: Record<string, unknown> = {
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': '2024-05-06T07:08:09Z',
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': '2024-05-06T07:08:09.123456Z',
  'io.k8s.apimachinery.pkg.api.resource.Quantity': '250m',
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': 'http',
};

/** A value for every property of `s`, none of them zero; a type met again inside itself (CRD schemas) is left out. */
function example(s: Schema, within: readonly string[]): unknown {
  if (s.$ref) {
    if (s.$ref in SCALAR_EXAMPLES) return SCALAR_EXAMPLES[s.$ref];
    if (within.includes(s.$ref)) return undefined;
    const target = builtinSchema(s.$ref);
    assert.ok(target, `schema ${s.$ref} is referenced but not defined`);
    return example(target, [...within, s.$ref]);
  }
  if (s.enum?.length) return s.enum[0];
  // Untyped values (RawExtension, CRD schema parts) have per-type JSON forms, tested in protobuf-wire.test.ts.
  if (!s.type && !s.properties && s['x-kubernetes-preserve-unknown-fields']) return undefined;
  if (s.type === 'array') {
    const item = example(s.items ?? {}, within);
    return item === undefined ? undefined : [item];
  }
  if (s.type === 'string') return s.format === 'byte' ? Buffer.from('bytes!').toString('base64') : s.format === 'date-time' ? SCALAR_EXAMPLES[TIME] : 'x';
  if (s.type === 'integer') return 7;
  if (s.type === 'number') return 1.5;
  if (s.type === 'boolean') return true;
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    const value = example(s.additionalProperties, within);
    return value === undefined ? undefined : { k: value };
  }
  const out: Obj = {};
  const isKind = s['x-kubernetes-group-version-kind'] !== undefined;
  for (const [name, p] of Object.entries(s.properties ?? {})) {
    // TypeMeta travels in the envelope, and list items carry none on the wire (nor in kube-apiserver's JSON).
    if (isKind && (name === 'apiVersion' || name === 'kind')) continue;
    const value = example(p, within);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The first path where `a` and `b` differ, with both values. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Obj)[k], (b as Obj)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : `${path}: got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`;
}

/** `actual` cut down to the keys `expected` has, so fields Kubernetes has and Skiff's schema lacks do not count. */
function project(actual: unknown, expected: unknown): unknown {
  if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((a, i) => project(a, expected[i]));
  if (expected && typeof expected === 'object' && actual && typeof actual === 'object' && !Array.isArray(actual)) {
    const out: Obj = {};
    for (const k of Object.keys(expected)) if (k in (actual as Obj)) out[k] = project((actual as Obj)[k], (expected as Obj)[k]);
    return out;
  }
  return actual;
}

test('discovery serves the kinds this test walks', () => {
  assert.ok(served.length > 50, `only ${served.length} kinds served`);
  for (const k of [
    'HorizontalPodAutoscaler',
    'TokenRequest',
    'SelfSubjectAccessReview',
    'SelfSubjectRulesReview',
    'SelfSubjectReview',
    'Pod',
    'Scale',
    'Eviction',
  ]) {
    assert.ok(
      served.some((s) => s.kind === k),
      `${k} not served`,
    );
  }
});

test('every served built-in kind and its list round-trip through protobuf', () => {
  const failures: string[] = [];
  let checked = 0;
  for (const { group, version, kind } of served) {
    const apiVersion = group ? `${group}/${version}` : version;
    for (const k of [kind, `${kind}List`]) {
      const schemaName = builtinSchemaName(group, version, k);
      if (!messageFor(apiVersion, k)) {
        // Kubernetes has no list of the review kinds (create-only) either.
        if (k === kind || schemaName) failures.push(`${apiVersion} ${k}: no protobuf message`);
        continue;
      }
      // Options kinds (exec, attach, binding, eviction…) have no schema of their own in Skiff: their envelope alone.
      const fields = schemaName ? (example(builtinSchema(schemaName)!, [schemaName]) as Obj) : {};
      const object = { apiVersion, kind: k, ...fields };
      const wire = encodeKubernetesProtobuf(object);
      assert.ok(wire, `${apiVersion} ${k} did not encode`);
      const back = decodeKubernetesProtobuf(wire);
      const diff = firstDifference(project(back, object), object);
      if (diff) failures.push(`${apiVersion} ${k}${diff}`);
      checked++;
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checked > 90, `only ${checked} kinds checked`);
});

test('the generated table names no kind the server no longer serves (regenerate with scripts/gen-protobuf.js)', () => {
  const stale = Object.keys(KIND_MESSAGES).filter((key) => {
    const slash = key.lastIndexOf('/');
    const apiVersion = key.slice(0, slash);
    const kind = key.slice(slash + 1);
    if (apiVersion === 'meta.k8s.io/v1') return false;
    const isServed = (k: string) => served.some((s) => (s.group ? `${s.group}/${s.version}` : s.version) === apiVersion && s.kind === k);
    return !isServed(kind) && !(kind.endsWith('List') && isServed(kind.slice(0, -4)));
  });
  assert.deepEqual(stale, []);
});

test('a custom resource has no protobuf form', () => {
  assert.equal(encodeKubernetesProtobuf({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'a' } }), undefined);
});
