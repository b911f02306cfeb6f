// Field validation through the in-process apiserver and on raw bodies: the messages and
// their order are Kubernetes' (its field_validation integration test), unknown fields are
// never stored, and the directive is validated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../src/api/builtin.js';
import type { KObject } from '../../src/api/types.js';
import {
  applyConfigurationError,
  checkFields,
  decodeWithDuplicates,
  jsonDuplicateFields,
  parseYamlWithDuplicates,
  warningHeader,
} from '../../src/apiserver/rest/field-validation.js';
import { StatusError } from '../../src/apiserver/status.js';
import { TestApi, assertStatus, deployment } from './setup.js';

const INVALID_JSON = `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": { "name": "dupename", "name": "d1", "labels": {"app": "nginx"}, "unknownMeta": "metaVal" },
  "spec": {
    "unknown1": "val1", "unknownDupe": "valDupe", "unknownDupe": "valDupe2", "paused": true, "paused": false,
    "selector": { "matchLabels": { "app": "nginx" } },
    "template": { "metadata": { "labels": { "app": "nginx" } },
      "spec": { "containers": [{ "name": "nginx", "image": "nginx:latest", "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never" }] } }
  }
}`;

const INVALID_YAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: d1
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  paused: true
  paused: false
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:latest
        unknownNested: val1
        imagePullPolicy: Always
        imagePullPolicy: Never`;

const deploymentDef = () => builtinRegistry().lookup('apps', 'v1', 'deployments')!;

function decode(type: string, text: string): KObject {
  return decodeWithDuplicates(type, Buffer.from(text), () => JSON.parse(text)) as KObject;
}

function strictMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  }
  assert.fail('expected a strict decoding error');
}

test('JSON: duplicate and unknown fields in document order; duplicates of unknown fields count as unknown', () => {
  assert.deepEqual(jsonDuplicateFields(INVALID_JSON), ['metadata.name', 'spec.unknownDupe', 'spec.paused', 'spec.template.spec.containers[0].imagePullPolicy']);
  assert.deepEqual(jsonDuplicateFields('{"a":{"b\\"c":1,"b\\"c":2},"l":[[{"x":1}],[{"x":1,"x":2}]]}'), ['a.b"c', 'l[1][0].x']);
  const body = decode('application/json', INVALID_JSON);
  const msg = strictMessage(() => checkFields(deploymentDef(), body, 'Strict', 'create', { rawBody: body }));
  assert.equal(
    msg,
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: duplicate field "metadata.name", unknown field "metadata.unknownMeta", unknown field "spec.unknown1", unknown field "spec.unknownDupe", duplicate field "spec.paused", unknown field "spec.template.spec.containers[0].unknownNested", duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  );
  const warn = checkFields(deploymentDef(), body, 'Warn', 'create', { rawBody: body });
  assert.equal(warn.warnings.length, 7);
  assert.equal(warn.warnings[0], 'duplicate field "metadata.name"');
  // Pruned copy; the caller's object is untouched.
  assert.equal(warn.object.spec.unknown1, undefined);
  assert.equal(warn.object.spec.template.spec.containers[0].unknownNested, undefined);
  assert.equal(warn.object.spec.template.spec.containers[0].imagePullPolicy, 'Never');
  assert.equal(body.spec.unknown1, 'val1');
  const ignore = checkFields(deploymentDef(), body, 'Ignore', 'create', { rawBody: body });
  assert.deepEqual(ignore.warnings, []);
  assert.equal(ignore.object.metadata!.unknownMeta, undefined);
});

test('YAML: repeated keys by line first, then unknown fields in sorted order', () => {
  assert.deepEqual(parseYamlWithDuplicates(INVALID_YAML).duplicates, [
    'line 5: key "name" already set in map',
    'line 12: key "unknownDupe" already set in map',
    'line 14: key "paused" already set in map',
    'line 28: key "imagePullPolicy" already set in map',
  ]);
  const body = decode('application/yaml', INVALID_YAML);
  assert.equal(body.metadata!.name, 'd1', 'the last value wins');
  const msg = strictMessage(() => checkFields(deploymentDef(), body, 'Strict', 'update', { rawBody: body }));
  assert.ok(
    msg.endsWith(`strict decoding error: yaml: unmarshal errors:
  line 5: key "name" already set in map
  line 12: key "unknownDupe" already set in map
  line 14: key "paused" already set in map
  line 28: key "imagePullPolicy" already set in map, unknown field "metadata.unknownMeta", unknown field "spec.template.spec.containers[0].unknownNested", unknown field "spec.unknown1", unknown field "spec.unknownDupe"`),
    msg,
  );
  assert.deepEqual(checkFields(deploymentDef(), body, 'Warn', 'update', { rawBody: body }).warnings.slice(3, 5), [
    'line 28: key "imagePullPolicy" already set in map',
    'unknown field "metadata.unknownMeta"',
  ]);
});

test('patch: the patch body duplicates first, then unknown fields of the result, sorted; message without the kind', () => {
  const patch = decode('application/merge-patch+json', '{"spec":{"unknown1":"v","unknownDupe":1,"unknownDupe":2,"paused":true,"paused":false}}');
  const patched = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { unknownDupe: 2, unknown1: 'v', paused: false } };
  const msg = strictMessage(() => checkFields(deploymentDef(), patched, 'Strict', 'patch', { rawBody: patch }));
  assert.equal(
    msg,
    'strict decoding error: duplicate field "spec.unknownDupe", duplicate field "spec.paused", unknown field "spec.unknown1", unknown field "spec.unknownDupe"',
  );
  // A field the stored object already had is not the patch's fault.
  const r = checkFields(deploymentDef(), patched, 'Strict', 'patch', { ignore: new Set(['spec.unknown1', 'spec.unknownDupe']) });
  assert.deepEqual(r.warnings, []);
});

test('warning headers stay ASCII and quoted', () => {
  assert.equal(warningHeader('unknown field "spec.replica"'), '299 - "unknown field \\"spec.replica\\""');
  assert.equal(warningHeader('unknown field "spec.é"'), '299 - "unknown field \\"spec.\\u00e9\\""');
});

test('in-process apiserver: Strict refuses, Warn and Ignore store without the unknown field, bad directive is 422', async () => {
  const api = await TestApi.start();
  try {
    const body = deployment('web');
    (body.spec as Record<string, unknown>).replica = 3;
    const path = '/apis/apps/v1/namespaces/default/deployments';
    const err = await api.fail('POST', path, { body, query: { fieldValidation: 'Strict' } });
    assertStatus(err, 400, 'BadRequest', 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"');

    const warned = await api.call('POST', path, { body, query: { fieldValidation: 'Warn', dryRun: 'All' } });
    assert.deepEqual(warned.warnings, ['unknown field "spec.replica"']);
    assert.equal(warned.body.spec.replica, undefined);
    assert.equal(await api.exists(`${path}/web`), false, 'dry run stored nothing');

    const created = await api.call('POST', path, { body });
    assert.deepEqual(created.warnings, ['unknown field "spec.replica"'], 'Warn is the default');
    const stored = (await api.call('GET', `${path}/web`)).body;
    assert.equal(stored.spec.replica, undefined);
    assert.equal(stored.spec.replicas, 1);

    const patchErr = await api.fail('PATCH', `${path}/web`, { body: { spec: { replicaz: 2 } }, patch: 'merge', query: { fieldValidation: 'Strict' } });
    assertStatus(patchErr, 400, 'BadRequest', 'strict decoding error: unknown field "spec.replicaz"');
    const patched = await api.call('PATCH', `${path}/web`, {
      body: { spec: { replicaz: 2, replicas: 2 } },
      patch: 'strategic',
      query: { fieldValidation: 'Ignore' },
    });
    assert.deepEqual(patched.warnings, []);
    assert.equal(patched.body.spec.replicas, 2);
    assert.equal(patched.body.spec.replicaz, undefined);

    const bad = await api.fail('POST', path, { body, query: { fieldValidation: 'Loud' } });
    assertStatus(bad, 422, 'Invalid', /fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn"/);
  } finally {
    await api.close();
  }
});

test('server-side apply: undeclared fields are refused with structured-merge-diff paths, whatever the directive', () => {
  const def = deploymentDef();
  const config = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replica: 2, template: { spec: { containers: [{ name: 'web', image: 'i', ports: [{ containerPort: 80, protocol: 'TCP', hostPot: 1 }] }] } } },
  };
  const err = applyConfigurationError(def, config, 'default', 'web')!;
  assert.equal(err.code, 500);
  assert.equal(
    err.message,
    'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): errors:\n' +
      '  .spec.replica: field not declared in schema\n' +
      '  .spec.template.spec.containers[name="web"].ports[containerPort=80,protocol="TCP"].hostPot: field not declared in schema',
  );
  assert.equal(
    applyConfigurationError(def, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, 'default', 'web'),
    undefined,
  );
  const ns = builtinRegistry().lookup('', 'v1', 'namespaces')!;
  assert.equal(
    applyConfigurationError(ns, { metadata: { name: 'x', labelz: {} } }, undefined, 'x')!.message,
    'failed to create typed patch object (/x; /v1, Kind=Namespace): .metadata.labelz: field not declared in schema',
  );
});
