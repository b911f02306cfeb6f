// Round trip against the real kubectl: every `kubectl create <kind>`
// subcommand POSTs a protobuf body to a tiny loopback server; the decoded
// body must equal what the same command prints with `--dry-run=client -o
// json` (kubectl's own JSON encoding of the same Go object).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { decodeKubernetesProtobuf, KUBERNETES_PROTOBUF_CONTENT_TYPE } from '../../src/apiserver/protobuf/envelope.js';

const run = promisify(execFile);
const KUBECTL = process.env['KUBECTL'] ?? '/usr/bin/kubectl';
const NO_KUBECTL = fs.existsSync(KUBECTL) ? false : `kubectl not found at ${KUBECTL}`;

// Discovery just rich enough for `kubectl create role` to resolve resources.
const CORE = [
  ['pods', 'Pod', true],
  ['namespaces', 'Namespace', false],
  ['configmaps', 'ConfigMap', true],
  ['secrets', 'Secret', true],
  ['services', 'Service', true],
  ['serviceaccounts', 'ServiceAccount', true],
  ['resourcequotas', 'ResourceQuota', true],
] as const;
const GROUPS: Record<string, ReadonlyArray<readonly [string, string, boolean]>> = {
  'apps/v1': [
    ['deployments', 'Deployment', true],
    ['deployments/scale', 'Scale', true],
  ],
  'batch/v1': [
    ['jobs', 'Job', true],
    ['cronjobs', 'CronJob', true],
  ],
  'rbac.authorization.k8s.io/v1': [
    ['roles', 'Role', true],
    ['clusterroles', 'ClusterRole', false],
    ['rolebindings', 'RoleBinding', true],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
  ],
  'scheduling.k8s.io/v1': [['priorityclasses', 'PriorityClass', false]],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  'networking.k8s.io/v1': [['ingresses', 'Ingress', true]],
  'autoscaling/v1': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
};
const resourceList = (gv: string, rs: ReadonlyArray<readonly [string, string, boolean]>) => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: gv,
  resources: rs.map(([name, kind, namespaced]) => ({ name, singularName: '', namespaced, kind, verbs: ['create', 'get', 'list'] })),
});
// Source object for `kubectl create job --from=cronjob/nightly`.
const CRONJOB = {
  kind: 'CronJob',
  apiVersion: 'batch/v1',
  metadata: { name: 'nightly', namespace: 'default', uid: '6f1c1a52-7d0e-4b0e-9d3a-0d5c2b1f7e11' },
  spec: {
    schedule: '0 3 * * *',
    jobTemplate: {
      metadata: { labels: { team: 'ops' } },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['true'] }] } } },
    },
  },
};

// Target of `kubectl autoscale deployment web`.
const DEPLOYMENT = {
  kind: 'Deployment',
  apiVersion: 'apps/v1',
  metadata: { name: 'web', namespace: 'default', uid: '0b9e3d1c-2f4a-4c55-8d3e-7a1b2c3d4e5f' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
  },
};

interface Captured {
  contentType: string;
  body: Buffer;
}
let captured: Captured[] = [];
let server: http.Server;
let dir = '';

function serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = (req.url ?? '').split('?')[0] ?? '';
  const json = (code: number, obj: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  if (req.method === 'POST') {
    const contentType = req.headers['content-type'] ?? '';
    captured.push({ contentType, body });
    try {
      return json(201, contentType === KUBERNETES_PROTOBUF_CONTENT_TYPE ? decodeKubernetesProtobuf(body) : JSON.parse(body.toString()));
    } catch (err) {
      return json(415, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: String(err), code: 415 });
    }
  }
  if (url === '/api') return json(200, { kind: 'APIVersions', versions: ['v1'] });
  if (url === '/apis') {
    return json(200, {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: Object.keys(GROUPS).map((gv) => {
        const [name, version] = gv.split('/');
        return { name, versions: [{ groupVersion: gv, version }], preferredVersion: { groupVersion: gv, version } };
      }),
    });
  }
  if (url === '/api/v1') return json(200, resourceList('v1', CORE));
  const group = GROUPS[url.replace(/^\/apis\//, '')];
  if (group) return json(200, resourceList(url.replace(/^\/apis\//, ''), group));
  if (url === '/apis/batch/v1/namespaces/default/cronjobs/nightly') return json(200, CRONJOB);
  if (url === '/apis/apps/v1/namespaces/default/deployments/web') return json(200, DEPLOYMENT);
  // /version, /openapi/v3 …: kubectl copes with 404 (no server-side schema).
  json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
}

before(async () => {
  if (NO_KUBECTL) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-protobuf-'));
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => serve(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fs.mkdirSync(path.join(dir, '.kube'));
  fs.writeFileSync(
    path.join(dir, '.kube', 'config'),
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'users: [{name: u, user: {}}]',
      'contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'bin.dat'), Buffer.from([0x00, 0xff, 0xfe, 0x62, 0x69, 0x6e]));
  fs.writeFileSync(path.join(dir, 'text.txt'), 'hello');
});

after(() => {
  server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const kubectl = (args: string[]) => run(KUBECTL, args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir }, cwd: dir, timeout: 30_000 });

/** Runs `kubectl create …` for real and as a client dry run; returns both objects. */
async function roundTrip(args: string[]): Promise<{ decoded: Record<string, unknown>; expected: unknown }> {
  captured = [];
  const { stdout } = await kubectl(['create', ...args]);
  assert.match(stdout, / created\n$/);
  assert.equal(captured.length, 1, 'one POST per create');
  const [post] = captured as [Captured];
  assert.equal(post.contentType, KUBERNETES_PROTOBUF_CONTENT_TYPE);
  const decoded = decodeKubernetesProtobuf(post.body);
  // Flags must precede `--`, after which everything is the container command.
  const dash = args.indexOf('--');
  const flags = ['--dry-run=client', '-o', 'json'];
  const dryArgs = dash < 0 ? [...args, ...flags] : [...args.slice(0, dash), ...flags, ...args.slice(dash)];
  const dry = await kubectl(['create', ...dryArgs]);
  const expected: unknown = JSON.parse(dry.stdout);
  assert.deepEqual(decoded, expected);
  return { decoded, expected };
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
// Tests reach deep into decoded objects; the deepEqual against kubectl's
// own JSON is what checks the shape.
type Obj = Record<string, any>;

test('kubectl create namespace', { skip: NO_KUBECTL }, async () => {
  const { decoded } = await roundTrip(['namespace', 'demo']);
  assert.deepEqual(decoded, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'demo', creationTimestamp: null }, spec: {}, status: {} });
});

test('kubectl create configmap (data and binaryData)', { skip: NO_KUBECTL }, async () => {
  const { decoded } = await roundTrip(['configmap', 'cm', '--from-literal=a=b', '--from-file=bin=bin.dat', '--from-file=text.txt']);
  const d = decoded as Obj;
  assert.deepEqual(d['data'], { a: 'b', 'text.txt': 'hello' });
  assert.deepEqual(d['binaryData'], { bin: b64(Buffer.from([0x00, 0xff, 0xfe, 0x62, 0x69, 0x6e])) });
});

test('kubectl create secret generic', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['secret', 'generic', 's', '--from-literal=a=b', '--from-literal=empty='])).decoded as Obj;
  assert.equal(d['data'].a, b64('b'));
  assert.equal(d['data'].empty, '');
  const typed = (await roundTrip(['secret', 'generic', 'basic', '--type=kubernetes.io/basic-auth', '--from-literal=username=u', '--from-literal=password=p']))
    .decoded as Obj;
  assert.equal(typed['type'], 'kubernetes.io/basic-auth');
});

test('kubectl create secret docker-registry', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['secret', 'docker-registry', 'reg', '--docker-username=u', '--docker-password=p', '--docker-email=e@x.io'])).decoded as Obj;
  assert.equal(d['type'], 'kubernetes.io/dockerconfigjson');
  const config = JSON.parse(Buffer.from(d['data']['.dockerconfigjson'], 'base64').toString()) as Obj;
  assert.equal(config['auths']['https://index.docker.io/v1/'].username, 'u');
});

test('kubectl create secret tls', { skip: NO_KUBECTL }, async (t) => {
  try {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=skiff-test',
      '-keyout',
      path.join(dir, 'tls.key'),
      '-out',
      path.join(dir, 'tls.crt'),
    ]);
  } catch {
    t.skip('openssl is not available to make a certificate');
    return;
  }
  const d = (await roundTrip(['secret', 'tls', 'tls', '--cert=tls.crt', '--key=tls.key'])).decoded as Obj;
  assert.equal(d['type'], 'kubernetes.io/tls');
  assert.match(Buffer.from(d['data']['tls.crt'], 'base64').toString(), /BEGIN CERTIFICATE/);
});

test('kubectl create deployment', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['deployment', 'web', '--image=httpd', '--replicas=2'])).decoded as Obj;
  assert.equal(d['spec'].replicas, 2);
  assert.deepEqual(d['spec'].selector, { matchLabels: { app: 'web' } });
  assert.deepEqual(d['spec'].template.metadata, { labels: { app: 'web' }, creationTimestamp: null });
  assert.deepEqual(d['spec'].template.spec.containers, [{ name: 'httpd', image: 'httpd', resources: {} }]);
  assert.deepEqual(d['spec'].strategy, {});
  assert.deepEqual(d['status'], {});
  // replicas is a Go pointer: an explicit 0 must survive.
  const zero = (await roundTrip(['deployment', 'multi', '--image=a', '--image=b', '--port=80', '--replicas=0'])).decoded as Obj;
  assert.equal(zero['spec'].replicas, 0);
  assert.deepEqual(zero['spec'].template.spec.containers[0].ports, [{ containerPort: 80 }]);
});

test('kubectl create service (clusterip, headless, nodeport, loadbalancer, externalname)', { skip: NO_KUBECTL }, async () => {
  const c = (await roundTrip(['service', 'clusterip', 'x', '--tcp=80:8080'])).decoded as Obj;
  assert.deepEqual(c['spec'].ports, [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
  assert.equal(c['spec'].type, 'ClusterIP');
  assert.equal(((await roundTrip(['service', 'clusterip', 'headless', '--clusterip=None'])).decoded as Obj)['spec'].clusterIP, 'None');
  const np = (await roundTrip(['service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080'])).decoded as Obj;
  assert.equal(np['spec'].ports[0].nodePort, 30080);
  await roundTrip(['service', 'loadbalancer', 'lb', '--tcp=443:8443']);
  const ext = (await roundTrip(['service', 'externalname', 'ext', '--external-name=example.com'])).decoded as Obj;
  assert.equal(ext['spec'].externalName, 'example.com');
});

test('kubectl create serviceaccount', { skip: NO_KUBECTL }, async () => {
  const { decoded } = await roundTrip(['serviceaccount', 'sa']);
  assert.deepEqual(decoded, { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name: 'sa', creationTimestamp: null } });
});

test('kubectl create job', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['job', 'j', '--image=busybox', '--', 'echo', 'hi'])).decoded as Obj;
  const pod = d['spec'].template.spec;
  assert.equal(pod.restartPolicy, 'Never');
  assert.deepEqual(pod.containers[0].command, ['echo', 'hi']);
});

test('kubectl create job --from=cronjob (ownerReferences)', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['job', 'manual', '--from=cronjob/nightly'])).decoded as Obj;
  assert.deepEqual(d['metadata'].ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: CRONJOB.metadata.uid, controller: true }]);
  assert.equal(d['metadata'].annotations['cronjob.kubernetes.io/instantiate'], 'manual');
  assert.equal(d['spec'].backoffLimit, 0);
});

test('kubectl create cronjob', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['cronjob', 'cj', '--image=busybox', '--schedule=*/1 * * * *', '--restart=OnFailure', '--', 'date'])).decoded as Obj;
  assert.equal(d['spec'].schedule, '*/1 * * * *');
  const pod = d['spec'].jobTemplate.spec.template.spec;
  assert.equal(pod.restartPolicy, 'OnFailure');
  assert.deepEqual(pod.containers[0].command, ['date']);
});

test('kubectl create role and clusterrole', { skip: NO_KUBECTL }, async () => {
  const r = (await roundTrip(['role', 'r', '--verb=get', '--verb=list', '--resource=pods', '--resource=deployments.apps', '--resource-name=p1']))
    .decoded as Obj;
  assert.deepEqual(r['rules'][0], { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'], resourceNames: ['p1'] });
  const cr = (await roundTrip(['clusterrole', 'cr', '--verb=get', '--non-resource-url=/healthz'])).decoded as Obj;
  assert.deepEqual(cr['rules'], [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }]);
  // rules has no omitempty in Go: an aggregated role carries "rules": null.
  const agg = (await roundTrip(['clusterrole', 'agg', '--aggregation-rule=foo=bar'])).decoded as Obj;
  assert.equal(agg['rules'], null);
  assert.deepEqual(agg['aggregationRule'], { clusterRoleSelectors: [{ matchLabels: { foo: 'bar' } }] });
});

test('kubectl create rolebinding and clusterrolebinding', { skip: NO_KUBECTL }, async () => {
  const rb = (await roundTrip(['rolebinding', 'rb', '--role=r', '--user=alice', '--group=devs', '--serviceaccount=default:sa'])).decoded as Obj;
  assert.deepEqual(rb['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' });
  assert.deepEqual(rb['subjects'][2], { kind: 'ServiceAccount', name: 'sa', namespace: 'default' });
  await roundTrip(['clusterrolebinding', 'crb', '--clusterrole=cr', '--user=bob']);
});

test('kubectl create quota', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['quota', 'q', '--hard=cpu=1,memory=1G,pods=2', '--scopes=BestEffort'])).decoded as Obj;
  assert.deepEqual(d['spec'], { hard: { cpu: '1', memory: '1G', pods: '2' }, scopes: ['BestEffort'] });
});

test('kubectl create priorityclass', { skip: NO_KUBECTL }, async () => {
  const d = (await roundTrip(['priorityclass', 'pc', '--value=1000', '--description=high', '--global-default=true'])).decoded as Obj;
  assert.equal(d['value'], 1000);
  assert.equal(d['globalDefault'], true);
  // value has no omitempty in Go, so 0 stays.
  const z = (await roundTrip(['priorityclass', 'zero', '--value=0', '--preemption-policy=Never'])).decoded as Obj;
  assert.equal(z['value'], 0);
  assert.equal(z['preemptionPolicy'], 'Never');
});

test('kubectl create poddisruptionbudget', { skip: NO_KUBECTL }, async () => {
  const a = (await roundTrip(['poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=1'])).decoded as Obj;
  assert.equal(a['spec'].minAvailable, 1);
  const b = (await roundTrip(['pdb', 'pdb2', '--selector=app=web', '--max-unavailable=50%'])).decoded as Obj;
  assert.equal(b['spec'].maxUnavailable, '50%');
  assert.deepEqual(b['status'], { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
});

test('kubectl create ingress', { skip: NO_KUBECTL }, async () => {
  const d = (
    await roundTrip([
      'ingress',
      'ing',
      '--class=nginx',
      '--rule=foo.com/bar=svc1:8080,tls=my-cert',
      '--rule=foo.com/*=svc2:http',
      '--default-backend=defsvc:http',
      '--annotation=a=b',
    ])
  ).decoded as Obj;
  assert.equal(d['spec'].ingressClassName, 'nginx');
  assert.deepEqual(d['spec'].defaultBackend, { service: { name: 'defsvc', port: { name: 'http' } } });
  assert.deepEqual(d['spec'].tls, [{ hosts: ['foo.com'], secretName: 'my-cert' }]);
  assert.deepEqual(d['spec'].rules[0].http.paths[0], { path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } });
  assert.equal(d['spec'].rules[0].http.paths[1].pathType, 'Prefix');
});

test('kubectl autoscale (an autoscaling/v1 HorizontalPodAutoscaler)', { skip: NO_KUBECTL }, async () => {
  captured = [];
  const args = ['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5'];
  const { stdout } = await kubectl(args);
  assert.match(stdout, / autoscaled\n$/);
  const [post] = captured as [Captured];
  assert.equal(post.contentType, KUBERNETES_PROTOBUF_CONTENT_TYPE);
  const decoded = decodeKubernetesProtobuf(post.body) as Obj;
  const expected = JSON.parse((await kubectl([...args, '--dry-run=client', '-o', 'json'])).stdout);
  assert.deepEqual(decoded, expected);
  assert.deepEqual(decoded['spec'], {
    scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' },
    minReplicas: 1,
    maxReplicas: 5,
    targetCPUUtilizationPercentage: 50,
  });
});
