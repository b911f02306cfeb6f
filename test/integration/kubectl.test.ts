// The real kubectl against `skiff server --disable-agent`: the workflow of the first issue.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { startServer, type TestServer, kubectlOk } from '../helpers/server.js';
import { rawClient } from '../helpers/raw.js';

const FIXTURE = resolve(new URL('../../../test/fixtures/httpd-deployment.yaml', import.meta.url).pathname);
let s: TestServer;

before(async () => {
  s = await startServer();
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

test('kubectl version reports the server as v1.32', async () => {
  const v = JSON.parse(await ok(['version', '-o', 'json']));
  assert.equal(v.serverVersion.major, '1');
  assert.equal(v.serverVersion.minor, '32');
});

test('kubectl api-resources lists every built-in resource with its short names', async () => {
  const out = await ok(['api-resources', '--no-headers']);
  const rows = out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  // The first row of a name: metrics.k8s.io's pods and nodes come after the core ones, as beside metrics-server.
  const byName = new Map<string, string[]>();
  for (const r of rows) if (!byName.has(r[0]!)) byName.set(r[0]!, r);
  assert.ok(
    rows.some((r) => r[0] === 'pods' && r.includes('metrics.k8s.io/v1beta1') && r.includes('PodMetrics')),
    'metrics.k8s.io pods listed',
  );
  const expect: [string, string | null][] = [
    ['namespaces', 'ns'],
    ['pods', 'po'],
    ['services', 'svc'],
    ['endpoints', 'ep'],
    ['nodes', 'no'],
    ['configmaps', 'cm'],
    ['secrets', null],
    ['serviceaccounts', 'sa'],
    ['events', 'ev'],
    ['persistentvolumes', 'pv'],
    ['persistentvolumeclaims', 'pvc'],
    ['resourcequotas', 'quota'],
    ['limitranges', 'limits'],
    ['replicationcontrollers', 'rc'],
    ['componentstatuses', 'cs'],
    ['deployments', 'deploy'],
    ['replicasets', 'rs'],
    ['statefulsets', 'sts'],
    ['daemonsets', 'ds'],
    ['controllerrevisions', null],
    ['jobs', null],
    ['cronjobs', 'cj'],
    ['leases', null],
    ['endpointslices', null],
    ['ingresses', 'ing'],
    ['ingressclasses', null],
    ['networkpolicies', 'netpol'],
    ['horizontalpodautoscalers', 'hpa'],
    ['poddisruptionbudgets', 'pdb'],
    ['roles', null],
    ['rolebindings', null],
    ['clusterroles', null],
    ['clusterrolebindings', null],
    ['storageclasses', 'sc'],
    ['priorityclasses', 'pc'],
  ];
  for (const [name, short] of expect) {
    const row = byName.get(name);
    assert.ok(row, `api-resources lacks ${name}:\n${out}`);
    if (short) assert.ok(row.includes(short), `${name} should have short name ${short}: ${row.join(' ')}`);
  }
  assert.ok(
    out.split('\n').some((l) => /^events\s.*events\.k8s\.io\/v1/.test(l)),
    'events.k8s.io/v1 events are listed',
  );
});

test('create namespace, apply the httpd Deployment, and read it back', async () => {
  assert.match(await ok(['create', 'namespace', 'demo']), /namespace\/demo created/);
  assert.match(await ok(['apply', '-n', 'demo', '-f', FIXTURE]), /deployment.apps\/httpd-deployment created/);

  const wide = await ok(['get', 'deploy,rs,pods', '-A', '-o', 'wide']);
  assert.match(wide, /NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
  // No node runs pods in this server (--disable-agent), so none is ready; the controllers may already have created them.
  assert.match(wide, /demo\s+deployment.apps\/httpd-deployment\s+0\/2\s+\d\s+0\s+\S+\s+httpd-app\s+httpd\s+app=httpd_server/);

  const yaml = await ok(['get', 'deploy', 'httpd-deployment', '-n', 'demo', '-o', 'yaml']);
  const obj = YAML.parse(yaml);
  const fixture = YAML.parse(readFileSync(FIXTURE, 'utf8'));
  assert.equal(obj.apiVersion, 'apps/v1');
  assert.equal(obj.kind, 'Deployment');
  assert.equal(obj.metadata.namespace, 'demo');
  assert.match(obj.metadata.uid, /^[0-9a-f-]{36}$/);
  assert.match(obj.metadata.resourceVersion, /^\d+$/);
  assert.equal(obj.metadata.generation, 1);
  assert.deepEqual(obj.spec.selector, fixture.spec.selector);
  assert.equal(obj.spec.replicas, 2);
  assert.equal(obj.spec.template.spec.containers[0].image, 'httpd');
  assert.equal(obj.spec.template.spec.containers[0].ports[0].containerPort, 8080);
  // Defaults Kubernetes fills in.
  assert.equal(obj.spec.strategy.type, 'RollingUpdate');
  assert.equal(obj.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  assert.equal(obj.spec.template.spec.restartPolicy, 'Always');
  assert.ok(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);

  // Re-applying the same manifest is a no-op.
  assert.match(await ok(['apply', '-n', 'demo', '-f', FIXTURE]), /unchanged/);

  // The YAML kubectl printed goes back through replace and comes out the same object.
  // (kubectl replace refreshes the last-applied annotation, so the object is written once.)
  const replaced = JSON.parse(await ok(['replace', '-f', '-', '-o', 'json'], yaml));
  assert.equal(replaced.metadata.uid, obj.metadata.uid);
  assert.equal(replaced.metadata.creationTimestamp, obj.metadata.creationTimestamp);
  assert.deepEqual(replaced.spec, obj.spec);
  assert.deepEqual(replaced.metadata.labels, obj.metadata.labels);

  // Changing the manifest patches the object.
  const edited = readFileSync(FIXTURE, 'utf8').replace('replicas: 2', 'replicas: 3');
  assert.match(await ok(['apply', '-n', 'demo', '-f', '-'], edited), /configured/);
  const after3 = JSON.parse(await ok(['get', 'deploy', 'httpd-deployment', '-n', 'demo', '-o', 'json']));
  assert.equal(after3.spec.replicas, 3);
  assert.ok(after3.metadata.generation > replaced.metadata.generation, 'a spec change bumps generation');
});

test('kubectl get cm -w prints the event when another client creates a ConfigMap', async () => {
  await ok(['create', 'namespace', 'watchers']);
  const { spawn } = await import('node:child_process');
  const child = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'get', 'cm', '-n', 'watchers', '-w', '--no-headers'], {
    env: { ...process.env, HOME: `${s.dataDir}/kubectl-home` },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    await waitFor(() => child.pid !== undefined && out !== undefined, 2000);
    await new Promise((r) => setTimeout(r, 1500));
    const raw = rawClient(s.kubeconfig);
    const r = await raw.request(
      'POST',
      '/api/v1/namespaces/watchers/configmaps',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen-by-watch' }, data: { a: '1' } }),
    );
    raw.close();
    assert.equal(r.status, 201, r.body);
    await waitFor(() => /seen-by-watch\s+1\s+/.test(out), 10_000);
  } finally {
    child.kill();
  }
});

test('kubectl label, annotate and delete', async () => {
  await ok(['create', 'configmap', 'tagged', '-n', 'demo', '--from-literal=k=v']);
  await ok(['label', 'cm', 'tagged', '-n', 'demo', 'tier=web', 'team=a']);
  await ok(['annotate', 'cm', 'tagged', '-n', 'demo', 'note=hello']);
  let cm = JSON.parse(await ok(['get', 'cm', 'tagged', '-n', 'demo', '-o', 'json']));
  assert.deepEqual(cm.metadata.labels, { tier: 'web', team: 'a' });
  assert.equal(cm.metadata.annotations.note, 'hello');
  assert.match(await ok(['get', 'cm', '-n', 'demo', '-l', 'tier=web', '-o', 'name']), /^configmap\/tagged$/m);
  assert.equal((await ok(['get', 'cm', '-n', 'demo', '-l', 'tier in (db)', '-o', 'name'])).trim(), '');
  await ok(['label', 'cm', 'tagged', '-n', 'demo', 'team-']);
  cm = JSON.parse(await ok(['get', 'cm', 'tagged', '-n', 'demo', '-o', 'json']));
  assert.deepEqual(cm.metadata.labels, { tier: 'web' });
  assert.match(await ok(['delete', 'cm', 'tagged', '-n', 'demo']), /configmap "tagged" deleted/);
  const gone = await s.kubectl(['get', 'cm', 'tagged', '-n', 'demo']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /configmaps "tagged" not found/);
});

test('deleting a namespace deletes what is in it', async () => {
  await ok(['create', 'namespace', 'doomed']);
  await ok(['create', 'configmap', 'c1', '-n', 'doomed']);
  await ok(['delete', 'namespace', 'doomed', '--wait=true', '--timeout=20s']);
  const r = await s.kubectl(['get', 'namespace', 'doomed']);
  assert.match(r.stderr, /not found/);
});

test('kubectl get componentstatuses', async () => {
  const out = await ok(['get', 'componentstatuses']);
  assert.match(out, /NAME\s+STATUS\s+MESSAGE\s+ERROR/);
  assert.match(out, /etcd-0\s+Healthy/);
  assert.match(out, /scheduler\s+Healthy/);
});

test('kubectl get --raw on discovery', async () => {
  const api = JSON.parse(await ok(['get', '--raw', '/api']));
  assert.deepEqual(api.versions, ['v1']);
  const apis = JSON.parse(await ok(['get', '--raw', '/apis']));
  const names = apis.groups.map((g: { name: string }) => g.name);
  for (const g of ['apps', 'batch', 'autoscaling', 'rbac.authorization.k8s.io', 'networking.k8s.io']) assert.ok(names.includes(g), g);
  const autoscaling = apis.groups.find((g: { name: string }) => g.name === 'autoscaling');
  assert.equal(autoscaling.preferredVersion.version, 'v2');
  const apps = JSON.parse(await ok(['get', '--raw', '/apis/apps/v1']));
  const deploy = apps.resources.find((r: { name: string }) => r.name === 'deployments');
  assert.deepEqual(deploy.shortNames, ['deploy']);
  assert.ok(apps.resources.some((r: { name: string }) => r.name === 'deployments/scale'));
  assert.equal((await ok(['get', '--raw', '/readyz'])).trim(), 'ok');
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
