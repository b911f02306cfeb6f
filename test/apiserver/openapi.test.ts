// OpenAPI documents generated from the built-in schemas: every served kind is described,
// every reference resolves, write operations carry the query parameters kubectl checks,
// and documents are cached until the registry changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { builtinRegistry } from '../../src/api/builtin.js';
import { builtinSchemaName, definitions } from '../../src/api/schemas/index.js';
import type { KObject } from '../../src/api/types.js';
import { OpenApiService } from '../../src/apiserver/openapi/index.js';
import { unknownFields } from '../../src/apiserver/rest/field-validation.js';

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  return out;
}

test('every served built-in kind has a schema in its group-version document, and every $ref resolves', () => {
  const registry = builtinRegistry();
  const svc = new OpenApiService(registry);
  const root = JSON.parse(svc.v3('')!.json) as { paths: Record<string, { serverRelativeURL: string }> };
  for (const g of registry.groups())
    for (const v of g.versions) {
      const p = g.name ? `apis/${g.name}/${v}` : `api/${v}`;
      const entry = svc.v3(p)!;
      assert.equal(root.paths[p]!.serverRelativeURL, `/openapi/v3/${p}?hash=${entry.etag}`);
      const doc = JSON.parse(entry.json) as Doc;
      for (const ref of refsIn(doc)) {
        assert.ok(ref.startsWith('#/components/schemas/'), ref);
        assert.ok(doc.components.schemas[ref.slice('#/components/schemas/'.length)], `${p}: dangling ${ref}`);
      }
      for (const def of registry.resourcesIn(g.name, v)) {
        if (def.customSchema) continue;
        const name = builtinSchemaName(def.group, def.version, def.kind);
        assert.ok(name, `no schema for ${def.kind} ${def.group}/${def.version}`);
        const s = doc.components.schemas[name];
        assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: def.group, version: def.version, kind: def.kind }]);
        assert.ok(s.properties.metadata && s.properties.apiVersion, `${name} lacks metadata`);
      }
    }
});

test('apps/v1: patch of a Deployment carries fieldValidation, dryRun, fieldManager and force, and the GVK', () => {
  const svc = new OpenApiService(builtinRegistry());
  const doc = JSON.parse(svc.v3('apis/apps/v1')!.json) as Doc;
  const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
  assert.deepEqual(item.patch!['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
  const names = (op: any) => (op.parameters as { name: string }[]).map((p) => p.name).sort();
  assert.deepEqual(names(item.patch), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
  assert.deepEqual(names(item.put), ['dryRun', 'fieldManager', 'fieldValidation']);
  assert.deepEqual(names(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments']!.post), ['dryRun', 'fieldManager', 'fieldValidation']);
  assert.deepEqual(Object.keys(item.patch!.requestBody.content).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
  ]);
  // The scale subresource speaks autoscaling/v1 Scale.
  assert.equal(doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!.put['x-kubernetes-group-version-kind'].kind, 'Scale');
  assert.ok(doc.paths['/apis/apps/v1/deployments']!.get, 'list across namespaces');

  const s = doc.components.schemas;
  const spec = s['io.k8s.api.apps.v1.DeploymentSpec'];
  assert.deepEqual(spec.properties.replicas, { type: 'integer', format: 'int32', description: spec.properties.replicas.description });
  assert.deepEqual(spec.required, ['selector', 'template']);
  assert.equal(spec.properties.strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.deepEqual(spec.properties.strategy.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }]);
  const pod = s['io.k8s.api.core.v1.PodSpec'].properties;
  assert.equal(pod.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(pod.containers['x-kubernetes-patch-strategy'], 'merge');
  assert.deepEqual(pod.containers['x-kubernetes-list-map-keys'], ['name']);
  assert.equal(pod.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  const ports = s['io.k8s.api.core.v1.Container'].properties.ports;
  assert.deepEqual([ports['x-kubernetes-patch-merge-key'], ports['x-kubernetes-list-map-keys']], ['containerPort', ['containerPort', 'protocol']]);
  assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'], 'atomic');
  assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']['x-kubernetes-int-or-string'], true);
});

test('v2 is Swagger 2.0 with #/definitions references, all resolving', () => {
  const svc = new OpenApiService(builtinRegistry());
  const doc = JSON.parse(svc.v2().json) as { swagger: string; paths: Record<string, any>; definitions: Record<string, any> };
  assert.equal(doc.swagger, '2.0');
  for (const ref of refsIn(doc)) {
    assert.ok(ref.startsWith('#/definitions/'), ref);
    assert.ok(doc.definitions[ref.slice('#/definitions/'.length)], `dangling ${ref}`);
  }
  const patch = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}']!.patch;
  assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
  assert.ok(patch.parameters.some((p: any) => p.in === 'body'));
  // Swagger 2.0 has no anyOf: IntOrString is a string with a format.
  assert.deepEqual(
    [doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format],
    ['string', 'int-or-string'],
  );
  // Swagger 2.0 keeps siblings of $ref, so references are not wrapped in allOf.
  const strategy = doc.definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy;
  assert.equal(strategy.$ref, '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy');
  assert.equal(strategy.allOf, undefined);
  assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
});

test('documents are cached until the registry changes; custom resources publish their schema', () => {
  const registry = builtinRegistry();
  const svc = new OpenApiService(registry);
  const a = svc.v3('apis/apps/v1')!;
  assert.equal(svc.v3('apis/apps/v1'), a, 'same cached entry');
  assert.equal(svc.v3('apis/nope/v1'), undefined);
  assert.equal(svc.v3('apis/apps'), undefined);
  registry.add({
    group: 'stable.example.com',
    version: 'v1',
    kind: 'CronTab',
    plural: 'crontabs',
    singular: 'crontab',
    namespaced: true,
    customSchema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' } } } } },
  });
  const root = JSON.parse(svc.v3('')!.json);
  assert.ok(root.paths['apis/stable.example.com/v1']);
  const doc = JSON.parse(svc.v3('apis/stable.example.com/v1')!.json) as Doc;
  const s = doc.components.schemas['com.example.stable.v1.CronTab'];
  assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  assert.equal(s.properties.spec.properties.cronSpec.type, 'string');
  assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  assert.ok(doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}']!.patch.parameters.some((p: any) => p.name === 'fieldValidation'));
  // apps/v1 did not change, so neither did its hash.
  assert.equal(svc.v3('apis/apps/v1')!.etag, a.etag);
});

test('the schemas declare every field of the fixtures and of typical objects', () => {
  const registry = builtinRegistry();
  const fixtures = resolve(new URL('../../..', import.meta.url).pathname, 'test/fixtures/httpd-deployment.yaml');
  const objs = YAML.parseAllDocuments(readFileSync(fixtures, 'utf8'))
    .map((d) => d.toJS() as KObject)
    .filter(Boolean);
  objs.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { a: 'b' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r', uid: 'u', controller: true }] },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'i',
          ports: [{ containerPort: 80 }],
          env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          resources: { limits: { cpu: '1' } },
          livenessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 },
          volumeMounts: [{ name: 'v', mountPath: '/v' }],
        },
      ],
      volumes: [{ name: 'v', configMap: { name: 'cm', items: [{ key: 'k', path: 'p' }] } }],
      tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] },
        },
      },
    },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.42.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'c', ready: true, restartCount: 0, image: 'i', imageID: 'x', state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }],
    },
  });
  for (const obj of objs) {
    const def = registry.byKind(obj.apiVersion!, obj.kind!)!;
    assert.deepEqual(unknownFields(def, obj), [], `${obj.kind} ${obj.metadata?.name}`);
  }
  assert.ok(definitions.size > 300);
});
