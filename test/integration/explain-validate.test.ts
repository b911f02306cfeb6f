// The real kubectl against `skiff server`: kubectl explain from the OpenAPI v3 documents,
// and server-side field validation with kubectl's default --validate=strict.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { rawClient } from '../helpers/raw.js';

let s: TestServer;

before(async () => {
  s = await startServer();
});
after(async () => {
  await s?.cleanup();
});

async function ok(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const r = await s.kubectl(args, { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** `name\t<type>` lines of an explain FIELDS list (indent kept for --recursive). */
function fields(out: string): string[] {
  const at = out.indexOf('FIELDS:\n');
  assert.ok(at >= 0, `no FIELDS in:\n${out}`);
  return out
    .slice(at + 8)
    .split('\n')
    .filter((l) => /^\s+\S+\t<[^>]+>/.test(l))
    .map((l) => l.replace(/^ {2}/, '').replace(/ -required-$/, ''));
}

const manifest = (name: string, typo = true) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  ${typo ? 'replica' : 'replicas'}: 2
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: busybox
`;

test('kubectl explain pods lists the top-level fields with their types', async () => {
  const { stdout } = await ok(['explain', 'pods']);
  assert.match(stdout, /^KIND:\s+Pod\nVERSION:\s+v1\n/);
  assert.deepEqual(fields(stdout), ['apiVersion\t<string>', 'kind\t<string>', 'metadata\t<ObjectMeta>', 'spec\t<PodSpec>', 'status\t<PodStatus>']);
});

test('kubectl explain deployment.spec and deployment.spec.strategy', async () => {
  const spec = fields((await ok(['explain', 'deployment.spec'])).stdout);
  for (const f of [
    'replicas\t<integer>',
    'selector\t<LabelSelector>',
    'template\t<PodTemplateSpec>',
    'strategy\t<DeploymentStrategy>',
    'paused\t<boolean>',
    'minReadySeconds\t<integer>',
  ])
    assert.ok(spec.includes(f), `${f} in ${JSON.stringify(spec)}`);
  const { stdout } = await ok(['explain', 'deployment.spec.strategy']);
  assert.match(stdout, /GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
  assert.match(stdout, /FIELD: strategy <DeploymentStrategy>/);
  assert.deepEqual(fields(stdout), ['rollingUpdate\t<RollingUpdateDeployment>', 'type\t<string>']);
  assert.deepEqual(fields((await ok(['explain', 'deploy.spec.strategy.rollingUpdate'])).stdout), ['maxSurge\t<IntOrString>', 'maxUnavailable\t<IntOrString>']);
});

test('kubectl explain pod.spec.containers.livenessProbe --recursive', async () => {
  const { stdout } = await ok(['explain', 'pod.spec.containers.livenessProbe', '--recursive']);
  const f = fields(stdout);
  for (const line of [
    'exec\t<ExecAction>',
    '  command\t<[]string>',
    'httpGet\t<HTTPGetAction>',
    '  httpHeaders\t<[]HTTPHeader>',
    '    name\t<string>',
    '  port\t<IntOrString>',
    'periodSeconds\t<integer>',
    'tcpSocket\t<TCPSocketAction>',
    'grpc\t<GRPCAction>',
  ])
    assert.ok(f.includes(line), `${JSON.stringify(line)} in ${JSON.stringify(f)}`);
});

test('kubectl explain svc.spec.ports and a resource of every other group', async () => {
  const ports = fields((await ok(['explain', 'svc.spec.ports'])).stdout);
  assert.deepEqual(ports, [
    'appProtocol\t<string>',
    'name\t<string>',
    'nodePort\t<integer>',
    'port\t<integer>',
    'protocol\t<string>',
    'targetPort\t<IntOrString>',
  ]);
  for (const [res, field] of [
    ['cronjobs.spec', 'schedule\t<string>'],
    ['ingress.spec', 'rules\t<[]IngressRule>'],
    ['hpa.spec', 'metrics\t<[]MetricSpec>'],
    ['clusterrole', 'rules\t<[]PolicyRule>'],
    ['lease.spec', 'holderIdentity\t<string>'],
    ['pdb.spec', 'minAvailable\t<IntOrString>'],
    ['cm', 'data\t<map[string]string>'],
    ['nodes.status', 'capacity\t<map[string]Quantity>'],
    ['pod.spec.containers.resources', 'limits\t<map[string]Quantity>'],
    ['pod.metadata', 'creationTimestamp\t<string>'],
  ] as const)
    assert.ok(fields((await ok(['explain', res])).stdout).includes(field), `${res}: ${field}`);
});

test('kubectl explain --output=plaintext-openapiv2 reads the protobuf Swagger 2.0 document', async () => {
  const { stdout } = await ok(['explain', 'deployment.spec.strategy', '--output=plaintext-openapiv2']);
  assert.match(stdout, /KIND:\s+Deployment\nVERSION:\s+apps\/v1\n/);
  assert.match(stdout, /RESOURCE: strategy <Object>/);
  assert.match(stdout, /rollingUpdate\t<Object>\n\s+Parameters for RollingUpdate\./);
  assert.match(stdout, /type\t<string>/);
});

test('a misspelt field fails kubectl apply with the strict decoding error; --validate=false stores without it', async () => {
  const r = await s.kubectl(['apply', '-f', '-'], { input: manifest('typo') });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Error from server \(BadRequest\): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"/,
  );
  assert.equal((await s.kubectl(['get', 'deploy', 'typo'])).code, 1, 'nothing stored');

  await ok(['apply', '-f', '-', '--validate=false'], manifest('typo'));
  const stored = JSON.parse((await ok(['get', 'deploy', 'typo', '-o', 'json'])).stdout);
  assert.equal(stored.spec.replica, undefined);
  assert.equal(stored.spec.replicas, 1);

  // Applying the misspelt manifest again patches: kubectl's message names the patch.
  const again = await s.kubectl(['apply', '-f', '-'], { input: manifest('typo') });
  assert.equal(again.code, 1);
  assert.match(again.stderr, /error when patching "STDIN": strict decoding error: unknown field "spec.replica"/);
});

test('kubectl apply --server-side refuses the misspelt field as Kubernetes does', async () => {
  const r = await s.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest('ssa') });
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Error from server: failed to create typed patch object \(default\/ssa; apps\/v1, Kind=Deployment\): \.spec\.replica: field not declared in schema/,
  );
  assert.equal((await s.kubectl(['get', 'deploy', 'ssa'])).code, 1);
});

test('--validate=warn prints the warning and stores the object without the field', async () => {
  const r = await ok(['apply', '-f', '-', '--validate=warn'], manifest('warned'));
  assert.match(r.stderr, /Warning: unknown field "spec.replica"/);
  assert.match(r.stdout, /deployment.apps\/warned created/);
  const stored = JSON.parse((await ok(['get', 'deploy', 'warned', '-o', 'json'])).stdout);
  assert.equal(stored.spec.replica, undefined);
});

test('--dry-run=server stores nothing', async () => {
  const r = await ok(['apply', '-f', '-', '--dry-run=server'], manifest('dry', false));
  assert.match(r.stdout, /deployment.apps\/dry created \(server dry run\)/);
  assert.equal((await s.kubectl(['get', 'deploy', 'dry'])).code, 1);
});

test('raw /openapi/v3/apis/apps/v1: GVK extension, fieldValidation parameter, ETag, 304, immutable by hash', async () => {
  const raw = rawClient(s.kubeconfig);
  try {
    const root = await raw.request('GET', '/openapi/v3');
    assert.equal(root.status, 200);
    const url = root.json().paths['apis/apps/v1'].serverRelativeURL as string;
    const doc = await raw.request('GET', url);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['cache-control'], 'public, immutable');
    const etag = doc.headers.etag as string;
    assert.equal(etag, `"${url.split('hash=')[1]}"`);
    const body = doc.json();
    const patch = body.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
    assert.deepEqual(body.components.schemas['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    const again = await raw.request('GET', '/openapi/v3/apis/apps/v1', undefined, { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const stale = await raw.request('GET', '/openapi/v3/apis/apps/v1?hash=OLD');
    assert.equal(stale.status, 301);
    assert.equal(stale.headers.location, url);
    const v2 = await raw.request('GET', '/openapi/v2');
    assert.equal(v2.status, 200);
    assert.equal(v2.json().swagger, '2.0');
    const pb = await raw.request('GET', '/openapi/v2', undefined, { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
    assert.equal(pb.status, 200);
    assert.equal(pb.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal((await raw.request('GET', '/openapi/v2', undefined, { Accept: 'text/html' })).status, 406);
  } finally {
    raw.close();
  }
});

test('raw: duplicate YAML keys are answered as Kubernetes answers them', async () => {
  const raw = rawClient(s.kubeconfig);
  try {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  a: "1"\n  a: "2"\n';
    const strict = await raw.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', yaml, { 'Content-Type': 'application/yaml' });
    assert.equal(strict.status, 400);
    assert.equal(
      strict.json().message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: yaml: unmarshal errors:\n  line 7: key "a" already set in map',
    );
    const warn = await raw.request('POST', '/api/v1/namespaces/default/configmaps', yaml, { 'Content-Type': 'application/yaml' });
    assert.equal(warn.status, 201);
    assert.equal(warn.headers.warning, '299 - "line 7: key \\"a\\" already set in map"');
    assert.deepEqual(warn.json().data, { a: '2' });
    const json = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup2","labelz":{}},"data":{"a":"1"},"data":{"b":"2"}}';
    const jr = await raw.request('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', json);
    assert.equal(
      jr.json().message,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.labelz", duplicate field "data"',
    );
  } finally {
    raw.close();
  }
});
