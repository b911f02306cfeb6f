// kubectl against RBAC over HTTPS as a certificate user: `auth can-i` (sent as protobuf),
// `--list`, non-resource URLs, Forbidden as kubectl prints it, anonymous requests, and an
// escalation refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectlAt, kubectlOk, startServer, type TestServer } from '../helpers/server.js';
import { userKubeconfig } from '../helpers/client-cert.js';

let s: TestServer;
let home: string;
let dev: ReturnType<typeof kubectlAt>;

before(async () => {
  s = await startServer();
  home = mkdtempSync(join(tmpdir(), 'skiff-rbac-kubectl-'));
  const admin = kubectlOk(() => s);
  await admin(['create', 'namespace', 'dev']);
  await admin(['create', 'rolebinding', 'devs-edit', '--clusterrole=edit', '--group=developers', '-n', 'dev']);
  dev = kubectlAt(userKubeconfig(s.kubeconfig, s.dataDir, join(home, 'dana.kubeconfig'), 'dana', ['developers']), home);
});

after(async () => {
  await s?.cleanup();
  if (home) rmSync(home, { recursive: true, force: true });
});

test('kubectl auth can-i answers for the user of the kubeconfig, in a namespace and at cluster scope', async () => {
  const can = async (...args: string[]) => {
    const r = await dev(['auth', 'can-i', ...args, '-v=8']);
    return { answer: r.stdout.trim(), log: r.stderr };
  };
  const createPods = await can('create', 'pods', '-n', 'dev');
  assert.equal(createPods.answer, 'yes');
  // kubectl sends the review as protobuf; the server reads it.
  assert.match(createPods.log, /Content-Type: application\/vnd\.kubernetes\.protobuf|Request Body/);
  assert.equal((await can('create', 'pods', '-n', 'default')).answer, 'no');
  assert.equal((await can('get', 'secrets', '-n', 'dev')).answer, 'no');
  assert.equal((await can('create', 'deployments.apps', '-n', 'dev')).answer, 'yes');
  assert.equal((await can('create', 'roles', '-n', 'dev')).answer, 'no');
  assert.equal((await can('list', 'nodes')).answer, 'no');
  assert.equal((await can('get', '/apis')).answer, 'yes');
  assert.equal((await can('get', '/metrics')).answer, 'no');
});

test('kubectl auth can-i --list shows the rules of the namespace', async () => {
  const r = await dev(['auth', 'can-i', '--list', '-n', 'dev']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/m);
  assert.match(r.stdout, /^deployments\.apps\s+\[\]\s+\[\]\s+\[create update patch delete deletecollection get list watch\]$/m);
  assert.doesNotMatch(r.stdout, /^roles\.rbac/m);
  assert.match(r.stdout, /selfsubjectaccessreviews\.authorization\.k8s\.io/);
  // kubectl prints non-resource URLs in brackets.
  assert.match(r.stdout, /\[\/api\/\*\]\s+\[\]\s+\[get\]/);
});

test('a forbidden request gets Kubernetes message through kubectl', async () => {
  const r = await dev(['get', 'secrets', '-n', 'dev']);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /Error from server \(Forbidden\): secrets is forbidden: User "dana" cannot list resource "secrets" in API group "" in the namespace "dev"/,
  );
  const n = await dev(['get', 'nodes']);
  assert.match(n.stderr, /nodes is forbidden: User "dana" cannot list resource "nodes" in API group "" at the cluster scope/);
  const ok = await dev(['create', 'configmap', 'c1', '--from-literal=a=b', '-n', 'dev']);
  assert.equal(ok.code, 0, ok.stderr);
  const raw = await dev(['get', '--raw', '/metrics']);
  assert.match(raw.stderr, /forbidden: User "dana" cannot get path "\/metrics"/);
});

test('a Role granting more than its author holds is refused with the escalation named', async () => {
  const admin = kubectlOk(() => s);
  await admin(['create', 'rolebinding', 'dana-admin', '--clusterrole=admin', '--user=dana', '-n', 'dev']);
  const r = await dev(['create', 'role', 'everything', '--verb=*', '--resource=*.*', '-n', 'dev']);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /roles\.rbac\.authorization\.k8s\.io "everything" is forbidden: user "dana" \(groups=\["developers" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}/,
  );
  const ok = await dev(['create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', '-n', 'dev']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('without credentials only the public paths answer; the rest is 403 for system:anonymous', async () => {
  const ca = readFileSync(join(s.dataDir, 'tls', 'ca.crt'));
  const get = (path: string) =>
    new Promise<number>((res, rej) => https.get(`${s.url}${path}`, { ca }, (r) => (r.resume(), res(r.statusCode!))).on('error', rej));
  assert.equal(await get('/version'), 200);
  assert.equal(await get('/healthz'), 200);
  assert.equal(await get('/api/v1/namespaces/default/pods'), 403);
});
