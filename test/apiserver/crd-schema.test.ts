// Unit tests of the CRD building blocks: pruning and defaulting, the ajv validator's
// Kubernetes wording, the printer-column JSONPath subset, structural-schema rules and
// version priority.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateStructural } from '../../src/api/apiextensions/structural.js';
import { versionPriority } from '../../src/apiserver/crd/custom-resource.js';
import { findResults, parsePath, printerTable } from '../../src/apiserver/crd/printer.js';
import { pruneAndDefault, unknownFields } from '../../src/apiserver/crd/schema.js';
import { SchemaValidator } from '../../src/apiserver/crd/validator.js';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        size: { type: 'integer', default: 3, minimum: 1, exclusiveMaximum: true, maximum: 100 },
        name: { type: 'string', maxLength: 5, nullable: true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        list: { type: 'array', maxItems: 2, items: { type: 'object', properties: { a: { type: 'string', default: 'x' } } } },
        nested: { type: 'object', default: {}, properties: { deep: { type: 'string', default: 'd' } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'integer', default: 7 } } },
        ios: { 'x-kubernetes-int-or-string': true },
        ip: { type: 'string', format: 'ipv4' },
        uuid: { type: 'string', format: 'uuid' },
        odd: { type: 'string', format: 'no-such-format' },
        either: { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] },
        nonnull: { type: 'string' },
      },
    },
  },
};

test('pruning drops unknown fields everywhere except under preserve-unknown-fields; defaults fill recursively', () => {
  const obj: any = {
    apiVersion: 'x.io/v1',
    kind: 'T',
    metadata: { name: 'n', bogusMeta: 1 },
    top: 1,
    spec: { junk: 1, labels: { a: 'b' }, list: [{ b: 1 }, { a: 'y' }], free: { anything: { x: 1 } }, nonnull: null },
  };
  assert.deepEqual(unknownFields(obj, schema).sort(), ['metadata.bogusMeta', 'spec.junk', 'spec.list[0].b', 'top']);
  pruneAndDefault(obj, schema);
  assert.deepEqual(obj, {
    apiVersion: 'x.io/v1',
    kind: 'T',
    metadata: { name: 'n' },
    spec: { size: 3, labels: { a: 'b' }, list: [{ a: 'x' }, { a: 'y' }], free: { anything: { x: 1 }, known: 7 }, nested: { deep: 'd' } },
  });
});

test('validation errors use kube-openapi wording and Kubernetes field paths', () => {
  const v = new SchemaValidator(schema);
  const msgs = (spec: unknown) => v.validate({ apiVersion: 'x.io/v1', kind: 'T', metadata: { name: 'n' }, spec }).map((e) => `${e.field}: ${e.message}`);
  assert.deepEqual(msgs({ size: 100 }), ['spec.size: Invalid value: 100: spec.size in body should be less than 100']);
  assert.deepEqual(msgs({ size: 0 }), ['spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1']);
  assert.deepEqual(msgs({ name: 'toolong' }), ['spec.name: Too long: may not be more than 5 bytes']);
  assert.deepEqual(msgs({ name: null }), []);
  assert.deepEqual(msgs({ labels: { a: 1 } }), ['spec.labels.a: Invalid value: 1: spec.labels.a in body must be of type string: "integer"']);
  assert.deepEqual(msgs({ list: [{}, {}, {}] }), ['spec.list: Too many: 3: must have at most 2 items']);
  assert.deepEqual(msgs({ list: [{ a: 5 }] }), ['spec.list[0].a: Invalid value: 5: spec.list[0].a in body must be of type string: "integer"']);
  assert.deepEqual(msgs({ ios: 5 }), []);
  assert.deepEqual(msgs({ ios: 'x' }), []);
  assert.equal(msgs({ ios: true }).length, 1);
  assert.deepEqual(msgs({ ip: '10.0.0.300' }), ['spec.ip: Invalid value: "10.0.0.300": spec.ip in body must be of type ipv4: "10.0.0.300"']);
  assert.deepEqual(msgs({ uuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', odd: 'anything' }), []);
  assert.deepEqual(msgs({ either: 'c' }), ['spec.either: Invalid value: "c": spec.either in body must validate at least one schema (anyOf)']);
  assert.deepEqual(msgs({ nonnull: null }), ['spec.nonnull: Invalid value: "": spec.nonnull in body must be of type string: "null"']);
});

test('printer-column JSONPath: fields, indexes, wildcards, filters; cells typed as Kubernetes types them', () => {
  const obj = {
    metadata: { name: 'a', creationTimestamp: new Date(Date.now() - 65_000).toISOString() },
    status: {
      conditions: [
        { type: 'A', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
    spec: { n: 2.7, 'dotted.key': 'v' },
  };
  assert.deepEqual(findResults(obj, parsePath('.status.conditions[?(@.type=="Ready")].status')), ['True']);
  assert.deepEqual(findResults(obj, parsePath('.status.conditions[*].type')), ['A', 'Ready']);
  assert.deepEqual(findResults(obj, parsePath(".spec['dotted.key']")), ['v']);
  assert.deepEqual(findResults(obj, parsePath('.status.conditions[1].type')), ['Ready']);
  assert.throws(() => parsePath('.spec..x'));
  const table = printerTable([
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'N', type: 'integer', jsonPath: '.spec.n' },
    { name: 'Missing', type: 'string', jsonPath: '.spec.none', priority: 1 },
    { name: 'Obj', type: 'string', jsonPath: '.status.conditions[0]' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ]);
  assert.equal(table.columns[3]!.priority, 1);
  assert.equal(table.columns[1]!.description, 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status');
  assert.deepEqual(table.row(obj, Date.now()), ['a', 'True', 2, null, '{"type":"A","status":"False"}', '65s']);
});

test('structural schema rules', () => {
  const at = 'spec.versions[0].schema.openAPIV3Schema';
  const msgs = (s: unknown) => validateStructural(s, at).map((e) => `${e.field}: ${e.message}`);
  assert.deepEqual(msgs({ type: 'object' }), []);
  assert.deepEqual(msgs({ properties: {} }), [`${at}.type: Required value: must not be empty at the root`]);
  assert.deepEqual(msgs({ type: 'string' }), [`${at}.type: Invalid value: "string": must be object at the root`]);
  assert.deepEqual(msgs({ type: 'object', properties: { a: { type: 'array' } } }), [`${at}.properties[a].items: Required value: must be specified`]);
  assert.deepEqual(msgs({ type: 'object', properties: { a: { type: 'string', 'x-kubernetes-int-or-string': true } } }), [
    `${at}.properties[a].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
  ]);
  assert.deepEqual(msgs({ type: 'object', 'x-kubernetes-preserve-unknown-fields': false }), [
    `${at}.x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
  ]);
  assert.deepEqual(msgs({ type: 'object', properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } } }), [
    `${at}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
  ]);
  assert.deepEqual(msgs({ type: 'object', properties: { a: { type: 'object', properties: {}, additionalProperties: { type: 'string' } } } }), [
    `${at}.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
  ]);
  assert.deepEqual(msgs({ type: 'object', properties: { e: { type: 'object', 'x-kubernetes-embedded-resource': true } } }), [
    `${at}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
  ]);
});

test('version priority: GA before beta before alpha, higher first, others by name last', () => {
  assert.deepEqual(['v1alpha1', 'foo', 'v1', 'v2beta1', 'v2', 'v1beta2', 'bar', 'v10'].sort(versionPriority), [
    'v10',
    'v2',
    'v1',
    'v2beta1',
    'v1beta2',
    'v1alpha1',
    'bar',
    'foo',
  ]);
});
