// The kubectl editing workflow against a real `skiff server`: client-side apply (three-way
// strategic merge), server-side apply with conflicts, diff, edit, patch, set, scale and
// rollout restart — each leaves the object Kubernetes would leave.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type TestServer, kubectlOk } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await startServer();
  await ok(['create', 'namespace', 'edit']);
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

async function getJson(what: string): Promise<any> {
  return JSON.parse(await ok(['-n', 'edit', 'get', what, '-o', 'json', '--show-managed-fields']));
}

function manifest(name: string, opts: { replicas?: number; env: Record<string, string>; ports: number[]; image?: string }): string {
  const env = Object.entries(opts.env)
    .map(([k, v]) => `        - name: ${k}\n          value: "${v}"`)
    .join('\n');
  const ports = opts.ports.map((p) => `        - containerPort: ${p}`).join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: edit
spec:
  replicas: ${opts.replicas ?? 2}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: ${opts.image ?? 'httpd:1'}
        env:
${env}
        ports:
${ports}
`;
}

const container = (d: any, name = 'web') => d.spec.template.spec.containers.find((c: any) => c.name === name);

test('kubectl apply twice: a removed env var is gone, a new port added, no duplicates', async () => {
  await ok(['apply', '-f', '-'], manifest('csa', { env: { A: '1', B: '2' }, ports: [80] }));
  const first = await getJson('deploy/csa');
  assert.ok(first.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  const csa = first.metadata.managedFields.find((e: any) => e.manager === 'kubectl-client-side-apply');
  assert.equal(csa?.operation, 'Update');
  await ok(['apply', '-f', '-'], manifest('csa', { env: { A: '1' }, ports: [80, 443] }));
  const d = await getJson('deploy/csa');
  const c = container(d);
  assert.deepEqual(c.env, [{ name: 'A', value: '1' }]);
  assert.deepEqual(c.ports, [
    { containerPort: 80, protocol: 'TCP' },
    { containerPort: 443, protocol: 'TCP' },
  ]);
  assert.equal(d.spec.template.spec.containers.length, 1);
  const last = JSON.parse(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  assert.deepEqual(last.spec.template.spec.containers[0].ports, [{ containerPort: 80 }, { containerPort: 443 }]);
});

test('kubectl diff shows the pending change (exit 1), then nothing once applied (exit 0)', async () => {
  const next = manifest('csa', { env: { A: '1', NEW: 'x' }, ports: [80, 443] });
  const r = await s.kubectl(['diff', '-f', '-'], { input: next });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^\+\s+- name: NEW$/m);
  assert.equal((await getJson('deploy/csa')).spec.template.spec.containers[0].env.length, 1, 'diff changed nothing');
  await ok(['apply', '-f', '-'], next);
  const again = await s.kubectl(['diff', '-f', '-'], { input: next });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});

test('kubectl apply --server-side: a second manager conflicts (409), --force-conflicts takes the field', async () => {
  await ok(['apply', '--server-side', '--field-manager=team-a', '-f', '-'], manifest('ssa', { replicas: 2, env: { A: '1' }, ports: [80] }));
  const r = await s.kubectl(['apply', '--server-side', '--field-manager=team-b', '-f', '-'], {
    input: manifest('ssa', { replicas: 3, env: { A: '1' }, ports: [80] }),
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "team-a": \.spec\.replicas/);
  assert.equal((await getJson('deploy/ssa')).spec.replicas, 2);
  await ok(
    ['apply', '--server-side', '--field-manager=team-b', '--force-conflicts', '-f', '-'],
    manifest('ssa', { replicas: 3, env: { A: '1' }, ports: [80] }),
  );
  const d = await getJson('deploy/ssa');
  assert.equal(d.spec.replicas, 3);
  const a = d.metadata.managedFields.find((e: any) => e.manager === 'team-a');
  const b = d.metadata.managedFields.find((e: any) => e.manager === 'team-b');
  assert.equal(a.operation, 'Apply');
  assert.equal(a.fieldsV1['f:spec']['f:replicas'], undefined, 'team-a lost spec.replicas');
  assert.deepEqual(b.fieldsV1['f:spec']['f:replicas'], {});
  // team-a swaps env A for Z: A stays, as team-b still applies it.
  await ok(['apply', '--server-side', '--field-manager=team-a', '-f', '-'], manifest('ssa', { replicas: 3, env: { Z: '9' }, ports: [80] }));
  const e = container(await getJson('deploy/ssa'))
    .env.map((x: any) => x.name)
    .sort();
  assert.deepEqual(e, ['A', 'Z'], 'A stays while team-b still applies it');
});

test('kubectl edit with EDITOR set to a script', async () => {
  const editor = join(s.dataDir, 'editor.sh');
  writeFileSync(editor, '#!/bin/sh\nsed -i "s/image: httpd:1/image: httpd:edited/" "$1"\n');
  chmodSync(editor, 0o755);
  const saved = process.env.KUBE_EDITOR;
  process.env.KUBE_EDITOR = editor;
  try {
    const out = await ok(['-n', 'edit', 'edit', 'deploy/csa']);
    assert.match(out, /deployment.apps\/csa edited/);
  } finally {
    if (saved === undefined) delete process.env.KUBE_EDITOR;
    else process.env.KUBE_EDITOR = saved;
  }
  const d = await getJson('deploy/csa');
  assert.equal(container(d).image, 'httpd:edited');
  assert.ok(
    d.metadata.managedFields.some(
      (e: any) => e.manager === 'kubectl-edit' && e.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:image'],
    ),
  );
});

test('kubectl patch --type strategic | merge | json', async () => {
  await ok([
    '-n',
    'edit',
    'patch',
    'deploy/csa',
    '--type=strategic',
    '-p',
    '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1"}]}}}}',
  ]);
  let d = await getJson('deploy/csa');
  assert.deepEqual(
    d.spec.template.spec.containers.map((c: any) => c.name),
    ['side', 'web'],
    'a strategic patch merges containers by name',
  );
  assert.equal(container(d).image, 'httpd:edited');
  await ok(['-n', 'edit', 'patch', 'deploy/csa', '--type=merge', '-p', '{"metadata":{"labels":{"tier":"front"}},"spec":{"minReadySeconds":2}}']);
  await ok([
    '-n',
    'edit',
    'patch',
    'deploy/csa',
    '--type=json',
    '-p',
    '[{"op":"remove","path":"/spec/template/spec/containers/0"},{"op":"add","path":"/spec/revisionHistoryLimit","value":4}]',
  ]);
  d = await getJson('deploy/csa');
  assert.deepEqual(d.metadata.labels, { tier: 'front' });
  assert.equal(d.spec.minReadySeconds, 2);
  assert.equal(d.spec.revisionHistoryLimit, 4);
  assert.deepEqual(
    d.spec.template.spec.containers.map((c: any) => c.name),
    ['web'],
  );
  assert.ok(d.metadata.managedFields.some((e: any) => e.manager === 'kubectl-patch'));
});

test('kubectl set image, set env, scale and rollout restart', async () => {
  await ok(['-n', 'edit', 'set', 'image', 'deploy/csa', 'web=httpd:2']);
  await ok(['-n', 'edit', 'set', 'env', 'deploy/csa', '-c', 'web', 'C=3', 'A-']);
  await ok(['-n', 'edit', 'scale', 'deploy/csa', '--replicas=4']);
  await ok(['-n', 'edit', 'rollout', 'restart', 'deploy/csa']);
  const d = await getJson('deploy/csa');
  const c = container(d);
  assert.equal(c.image, 'httpd:2');
  assert.deepEqual(c.env, [
    { name: 'NEW', value: 'x' },
    { name: 'C', value: '3' },
  ]);
  assert.equal(d.spec.replicas, 4);
  assert.match(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'], /^\d{4}-\d\d-\d\dT/);
  assert.deepEqual(d.spec.template.metadata.labels, { app: 'csa' });
  // A re-apply of the manifest brings image and env back, and keeps what it never set (the
  // three-way merge deletes only what the last applied configuration had: C stays).
  await ok(['apply', '-f', '-'], manifest('csa', { env: { A: '1', NEW: 'x' }, ports: [80, 443] }));
  const after = await getJson('deploy/csa');
  assert.equal(container(after).image, 'httpd:1');
  assert.deepEqual(
    container(after).env.map((e: any) => e.name),
    ['A', 'NEW', 'C'],
  );
  assert.equal(
    after.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
    d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'],
  );
});
