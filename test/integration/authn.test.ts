// Authentication with the real kubectl against `skiff server`: who each credential makes
// you (`kubectl auth whoami`), `kubectl create token` and its use, bad tokens → 401,
// anonymous requests, impersonation, issuer discovery, the service-account machinery in
// namespaces and pods, and the TLS and file-mode rules.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createLocalJWKSet, jwtVerify } from 'jose';
import YAML from 'yaml';
import { after, before, test } from 'node:test';
import { kubectlAt, kubectlOk, startServer, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/wait.js';

const until = (what: string, ms: number, check: () => Promise<boolean>) =>
  waitFor(
    what,
    ms,
    async () => ((await check()) ? true : undefined),
    () => s.logs(),
  );

let s: TestServer;
let dir: string;
const ok = kubectlOk(() => s);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-authn-'));
  writeFileSync(join(dir, 'tokens.csv'), 'alice-token-123,alice,uid-alice,"dev,qa"\n');
  s = await startServer({ args: ['--token-auth-file', join(dir, 'tokens.csv')] });
  // RBAC holds service accounts to what they are bound to: the default account may view its namespace.
  await ok(['create', 'rolebinding', 'default-view', '--clusterrole', 'view', '--serviceaccount', 'default:default']);
});
after(async () => {
  await s?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** kubectl with a bearer token only: a kubeconfig without the admin's client certificate. */
function withToken(token: string) {
  const path = join(dir, `token-${Math.random().toString(36).slice(2)}.yaml`);
  const admin = YAML.parse(readFileSync(s.kubeconfig, 'utf8'));
  admin.users = [{ name: 'admin', user: { token } }];
  writeFileSync(path, YAML.stringify(admin), { mode: 0o600 });
  return kubectlAt(path, join(dir, 'home'));
}

/** A raw request with a bearer token (or none), trusting the cluster CA. */
function raw(path: string, token?: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const ca = readFileSync(join(s.dataDir, 'tls', 'ca.crt'), 'utf8');
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: s.port, path, method, ca, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const whoami = (out: string) => JSON.parse(out).status.userInfo;

test('kubectl auth whoami: the admin is system:admin in system:masters', async () => {
  const u = whoami(await ok(['auth', 'whoami', '-o', 'json']));
  assert.equal(u.username, 'system:admin');
  assert.deepEqual(u.groups, ['system:masters', 'system:authenticated']);
});

test('kubectl auth whoami: a --token-auth-file user', async () => {
  const r = await withToken('alice-token-123')(['auth', 'whoami', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(whoami(r.stdout), { username: 'alice', uid: 'uid-alice', groups: ['dev', 'qa', 'system:authenticated'] });
});

test('kubectl --as: impersonation is honoured, not ignored', async () => {
  const u = whoami(await ok(['auth', 'whoami', '-o', 'json', '--as', 'bob', '--as-group', 'devs', '--as-uid', 'b-1']));
  assert.deepEqual(u, { username: 'bob', uid: 'b-1', groups: ['devs', 'system:authenticated'] });
  const sa = whoami(await ok(['auth', 'whoami', '-o', 'json', '--as', 'system:serviceaccount:kube-system:default']));
  assert.deepEqual(sa.groups, ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']);
});

test('kubectl create token, then using it; another audience is refused for the API', async () => {
  const token = (await ok(['create', 'token', 'default', '--duration', '10m'])).trim();
  const r = await withToken(token)(['auth', 'whoami', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(whoami(r.stdout).username, 'system:serviceaccount:default:default');
  assert.equal((await raw('/api/v1/namespaces/default/pods', token)).status, 200);
  // Beyond its binding: 403 in Kubernetes' words.
  const secrets = await raw('/api/v1/namespaces/kube-system/secrets', token);
  assert.equal(secrets.status, 403);
  assert.equal(
    JSON.parse(secrets.body).message,
    'secrets is forbidden: User "system:serviceaccount:default:default" cannot list resource "secrets" in API group "" in the namespace "kube-system"',
  );

  const other = (await ok(['create', 'token', 'default', '--duration', '10m', '--audience', 'x'])).trim();
  const claims = JSON.parse(Buffer.from(other.split('.')[1]!, 'base64url').toString());
  assert.deepEqual(claims.aud, ['x']);
  assert.equal(claims.exp - claims.iat, 600);
  assert.equal((await raw('/api/v1/namespaces/default/pods', other)).status, 401);
  const denied = await withToken(other)(['get', 'pods']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Unauthorized|provide credentials/);
});

test('a forged token and an unknown token get 401', async () => {
  const token = (await ok(['create', 'token', 'default'])).trim();
  const [h, p, sig] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
  claims.sub = 'system:serviceaccount:kube-system:default';
  const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
  assert.equal((await raw('/api/v1/pods', forged)).status, 401);
  assert.equal((await raw('/api/v1/pods', 'not-a-token')).status, 401);
  // An invalid credential is a 401 even where anonymous would be served.
  assert.equal((await raw('/api/v1/namespaces', forged)).status, 401);
});

test('a token bound to a pod works until the pod is deleted', async () => {
  await ok(['run', 'bound', '--image', 'busybox', '--restart', 'Never']);
  const token = (await ok(['create', 'token', 'default', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound'])).trim();
  assert.equal((await raw('/api/v1/namespaces/default/pods', token)).status, 200);
  await ok(['delete', 'pod', 'bound', '--grace-period', '0', '--force']);
  await until('the deleted pod token refused', 5_000, async () => (await raw('/api/v1/namespaces/default/pods', token)).status === 401);
});

test('anonymous requests: 403 as system:anonymous except the public paths', async () => {
  const pods = await raw('/api/v1/pods');
  assert.equal(pods.status, 403);
  assert.match(JSON.parse(pods.body).message, /User "system:anonymous" cannot list resource "pods" in API group "" at the cluster scope/);
  assert.equal((await raw('/apis')).status, 403);
  for (const p of ['/healthz', '/livez', '/readyz', '/version', '/.well-known/openid-configuration', '/openid/v1/jwks'])
    assert.equal((await raw(p)).status, 200, p);
});

test('issuer discovery: the JWKS verifies a token kubectl created', async () => {
  const conf = JSON.parse((await raw('/.well-known/openid-configuration')).body);
  assert.equal(conf.issuer, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(conf.jwks_uri, 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks');
  assert.deepEqual(conf.id_token_signing_alg_values_supported, ['RS256']);
  const jwks = createLocalJWKSet(JSON.parse((await raw('/openid/v1/jwks')).body));
  const token = (await ok(['create', 'token', 'default', '--audience', 'vault'])).trim();
  const { payload } = await jwtVerify(token, jwks, { issuer: conf.issuer, audience: 'vault' });
  assert.equal(payload.sub, 'system:serviceaccount:default:default');
});

test('kube-root-ca.crt is published in every namespace and repaired when edited', async () => {
  const ca = readFileSync(join(s.dataDir, 'tls', 'ca.crt'), 'utf8');
  await ok(['create', 'namespace', 'authn-ca']);
  const read = async () =>
    JSON.parse((await s.kubectl(['-n', 'authn-ca', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'json'])).stdout || '{}').data?.['ca.crt'];
  await until('kube-root-ca.crt in authn-ca', 10_000, async () => (await read()) === ca);
  await ok(['-n', 'authn-ca', 'patch', 'configmap', 'kube-root-ca.crt', '-p', '{"data":{"ca.crt":"tampered"}}']);
  await until('kube-root-ca.crt repaired', 10_000, async () => (await read()) === ca);
  await ok(['-n', 'authn-ca', 'delete', 'configmap', 'kube-root-ca.crt']);
  await until('kube-root-ca.crt recreated', 10_000, async () => (await read()) === ca);
});

test('a service-account-token Secret is filled with a working legacy token', async () => {
  await ok(
    ['apply', '-f', '-'],
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: legacy\n  annotations:\n    kubernetes.io/service-account.name: default\ntype: kubernetes.io/service-account-token\n',
  );
  let token = '';
  await until('the legacy token', 10_000, async () => {
    token = Buffer.from((await ok(['get', 'secret', 'legacy', '-o', 'jsonpath={.data.token}'])).trim(), 'base64').toString();
    return token.length > 0;
  });
  const r = await withToken(token)(['auth', 'whoami', '-o', 'json']);
  assert.equal(whoami(r.stdout).username, 'system:serviceaccount:default:default');
  await ok(['delete', 'secret', 'legacy']);
  await until('the legacy token refused', 5_000, async () => (await raw('/api/v1/namespaces/default/pods', token)).status === 401);
});

test('pods get the kube-api-access volume; a missing account is refused', async () => {
  await ok(['run', 'mounted', '--image', 'busybox', '--restart', 'Never']);
  const pod = JSON.parse(await ok(['get', 'pod', 'mounted', '-o', 'json']));
  const vol = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
  assert.ok(vol, JSON.stringify(pod.spec.volumes));
  assert.equal(pod.spec.containers[0].volumeMounts[0].mountPath, '/var/run/secrets/kubernetes.io/serviceaccount');
  const r = await s.kubectl(['run', 'orphan', '--image', 'busybox', '--restart', 'Never', '--overrides', '{"spec":{"serviceAccountName":"ghost"}}']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /pods "orphan" is forbidden: error looking up service account default\/ghost: serviceaccount "ghost" not found/);
});

test('keys and the kubeconfig are 0600; the admin certificate keeps system:masters', () => {
  for (const f of ['ca.key', 'client-admin.key', 'serving-kube-apiserver.key', 'service-account.key'])
    assert.equal(statSync(join(s.dataDir, 'tls', f)).mode & 0o777, 0o600, f);
  assert.equal(statSync(s.kubeconfig).mode & 0o777, 0o600);
  const kc = YAML.parse(readFileSync(s.kubeconfig, 'utf8'));
  const cert = new X509Certificate(Buffer.from(kc.users[0].user['client-certificate-data'], 'base64'));
  assert.match(cert.subject, /O=system:masters/);
});

test('TLS below 1.2 is refused', async () => {
  const version = (opts: tls.ConnectionOptions) =>
    new Promise<string>((resolve) => {
      const sock = tls.connect({ host: '127.0.0.1', port: s.port, rejectUnauthorized: false, ...opts }, () => {
        resolve(sock.getProtocol() ?? '');
        sock.destroy();
      });
      sock.on('error', (e) => resolve(`error: ${e.message}`));
    });
  assert.match(await version({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), /^error/);
  assert.equal(await version({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), 'TLSv1.2');
});
