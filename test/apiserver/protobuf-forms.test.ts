// Types with a JSON form of their own (as Kubernetes' custom marshallers give them) and the
// response side of content negotiation: what goes out as protobuf, what falls back to JSON.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseOutput, nonProtobuf, protobufResponse, watchOutput } from '../../src/apiserver/negotiation.js';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, KUBERNETES_PROTOBUF_CONTENT_TYPE } from '../../src/apiserver/protobuf/envelope.js';
import { StatusError } from '../../src/apiserver/status.js';

const roundTrip = (obj: Record<string, unknown>) => decodeKubernetesProtobuf(encodeKubernetesProtobuf(obj)!);

test('CRD schemas: JSON values, schema-or-array, schema-or-bool, schema-or-names keep their JSON form', () => {
  const schema = {
    type: 'object',
    default: { a: [1, 'two', null] },
    enum: ['x', 3, { y: true }],
    properties: {
      list: { type: 'array', items: { type: 'string' } },
      tuple: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
      closed: { type: 'object', additionalProperties: false },
      open: { type: 'object', additionalProperties: { type: 'integer', minimum: -1.5 } },
      port: { 'x-kubernetes-int-or-string': true },
    },
    dependencies: { a: ['b', 'c'], d: { required: ['e'] } },
  };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'things.example.com', creationTimestamp: null },
    spec: {
      group: 'example.com',
      names: { plural: 'things', kind: 'Thing' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
  const back = roundTrip(crd) as typeof crd;
  assert.deepEqual(back.spec.versions[0]!.schema.openAPIV3Schema, schema);
});

test('RawExtension, IntOrString, Quantity, MicroTime, bytes, negative numbers and extra values', () => {
  const rev = roundTrip({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, data: { spec: { x: [1, 2] } }, revision: 3 });
  assert.deepEqual(rev['data'], { spec: { x: [1, 2] } });
  const pdb = roundTrip({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'p' }, spec: { minAvailable: 2, maxUnavailable: '25%' } });
  assert.deepEqual(pdb['spec'], { minAvailable: 2, maxUnavailable: '25%' });
  // A Quantity written as a JSON number reads back as its string.
  const quota = roundTrip({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { cpu: 2, memory: '1Gi' } } });
  assert.deepEqual((quota['spec'] as Record<string, unknown>)['hard'], { cpu: '2', memory: '1Gi' });
  const lease = roundTrip({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { renewTime: '2024-01-02T03:04:05.678901Z' } });
  assert.equal((lease['spec'] as Record<string, unknown>)['renewTime'], '2024-01-02T03:04:05.678901Z');
  const secret = roundTrip({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: Buffer.from([0, 255, 1]).toString('base64') } });
  assert.deepEqual(secret['data'], { k: 'AP8B' });
  const pc = roundTrip({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: -5 });
  assert.equal(pc['value'], -5);
  const sar = roundTrip({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: { user: 'u', extra: { scopes: ['a', 'b'], empty: [] }, resourceAttributes: { verb: 'get', resource: 'pods' } },
  });
  assert.deepEqual((sar['spec'] as Record<string, unknown>)['extra'], { scopes: ['a', 'b'], empty: [] });
});

test('objects are written as gogo-protobuf writes them: a zero creationTimestamp is null, non-pointer zeros come back', () => {
  const ns = roundTrip({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', creationTimestamp: null } });
  assert.deepEqual(ns, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'a', creationTimestamp: null }, spec: {}, status: {} });
  const hpa = roundTrip({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { maxReplicas: 3 } });
  // currentReplicas and desiredReplicas have no omitempty in Go: kube-apiserver's JSON shows them as 0.
  assert.deepEqual(hpa['status'], { currentReplicas: 0, desiredReplicas: 0 });
  assert.throws(() => encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 5 } }), /metadata\.name: 5 is not a string/);
});

test('an encoding error names the field deep in a list, and the next encoding is unaffected', () => {
  const list = (labels: Record<string, unknown>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMapList',
    metadata: {},
    items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b', labels } }],
  });
  assert.throws(() => encodeKubernetesProtobuf(list({ app: 7 })), /^ProtobufEncodeError: items\[1\]\.metadata\.labels\[app\]: 7 is not a string$/);
  const back = decodeKubernetesProtobuf(encodeKubernetesProtobuf(list({ app: 'x' }))!) as { items: { metadata: { labels?: unknown } }[] };
  assert.deepEqual(back.items[1]!.metadata.labels, { app: 'x' });
});

test('Accept: protobuf first, with or without another choice', () => {
  assert.deepEqual(chooseOutput(`${KUBERNETES_PROTOBUF_CONTENT_TYPE},application/json`), { kind: 'protobuf', fallback: { kind: 'json' } });
  assert.deepEqual(chooseOutput(`${KUBERNETES_PROTOBUF_CONTENT_TYPE}, */*`), { kind: 'protobuf', fallback: { kind: 'json' } });
  assert.deepEqual(chooseOutput(KUBERNETES_PROTOBUF_CONTENT_TYPE), { kind: 'protobuf', fallback: undefined });
  assert.deepEqual(chooseOutput(`application/json, ${KUBERNETES_PROTOBUF_CONTENT_TYPE}`), { kind: 'json' });
  assert.throws(
    () => nonProtobuf(chooseOutput(KUBERNETES_PROTOBUF_CONTENT_TYPE)),
    (e: unknown) => e instanceof StatusError && e.code === 406,
  );
});

test('responses: built-in kinds and Status in protobuf; custom resources fall back or get 406', () => {
  const both = chooseOutput(`${KUBERNETES_PROTOBUF_CONTENT_TYPE},application/json`);
  const only = chooseOutput(KUBERNETES_PROTOBUF_CONTENT_TYPE);
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { a: 'b' } };
  const pb = protobufResponse(only, cm);
  assert.equal(pb?.type, KUBERNETES_PROTOBUF_CONTENT_TYPE);
  assert.deepEqual(decodeKubernetesProtobuf(pb!.body), { ...cm, metadata: { ...cm.metadata, creationTimestamp: null } });
  const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'c', kind: 'configmaps', uid: 'u' } };
  assert.deepEqual(decodeKubernetesProtobuf(protobufResponse(only, status)!.body)['details'], { name: 'c', kind: 'configmaps', uid: 'u' });
  const cr = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' } };
  assert.equal(protobufResponse(both, cr), undefined);
  assert.throws(
    () => protobufResponse(only, cr),
    (e: unknown) => e instanceof StatusError && e.code === 406,
  );
  // An object that does not fit its message still reaches a client that takes JSON.
  assert.equal(protobufResponse(both, { ...cm, data: { a: 1 } }), undefined);
  assert.equal(protobufResponse(chooseOutput('application/json'), cm), undefined);
});

test('watch streams: protobuf frames for built-in kinds, the other choice or 406 for custom resources', () => {
  const only = chooseOutput(`${KUBERNETES_PROTOBUF_CONTENT_TYPE};stream=watch`);
  const how = watchOutput(only, 'v1', 'ConfigMap');
  assert.ok('frame' in how);
  assert.equal(how.contentType, `${KUBERNETES_PROTOBUF_CONTENT_TYPE};stream=watch`);
  const frame = how.frame({ type: 'ADDED', object: { metadata: { name: 'c' }, data: { a: 'b' } } });
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  // The object inside is a whole protobuf body, with the kind the stream is of.
  const start = frame.indexOf(Buffer.from('k8s\0', 'binary'));
  assert.deepEqual(decodeKubernetesProtobuf(frame.subarray(start))['data'], { a: 'b' });
  assert.deepEqual(watchOutput(chooseOutput(`${KUBERNETES_PROTOBUF_CONTENT_TYPE}, application/json`), 'example.com/v1', 'Gadget'), { plain: { kind: 'json' } });
  assert.throws(
    () => watchOutput(only, 'example.com/v1', 'Gadget'),
    (e: unknown) => e instanceof StatusError && e.code === 406,
  );
});

test('metrics.k8s.io kinds (served by the aggregated metrics API) encode as metrics-server does, windows as Go durations', () => {
  const list = {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetricsList',
    metadata: { resourceVersion: '' },
    items: [
      {
        metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'web' } },
        timestamp: '2026-01-01T00:00:00Z',
        window: '15.002s',
        containers: [{ name: 'c', usage: { cpu: '250m', memory: '64Mi' } }],
      },
    ],
  };
  const back = roundTrip(list);
  assert.deepEqual(back, { ...list, metadata: {} });
  const node = {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'NodeMetrics',
    metadata: { name: 'n1', creationTimestamp: '2026-01-01T00:00:00Z' },
    timestamp: '2026-01-01T00:00:00Z',
    window: '1m0s',
    usage: { cpu: '1', memory: '3Ki' },
  };
  assert.deepEqual(roundTrip(node), node);
  assert.throws(() => encodeKubernetesProtobuf({ ...node, window: 'a while' }), /window: invalid duration "a while"/);
});
