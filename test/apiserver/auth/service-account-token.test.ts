// Service-account tokens through the apiserver's own handler: TokenRequest issues them,
// the authenticator accepts them only while everything they name still holds, and
// TokenReview reports the same.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuthenticationError } from '../../../src/apiserver/auth/authenticator.js';
import { generateServiceAccountKey } from '../../../src/apiserver/auth/service-account-key.js';
import { DEFAULT_ISSUER, ServiceAccountTokens } from '../../../src/apiserver/auth/service-account-token.js';
import { VerifiedTokenCache } from '../../../src/apiserver/auth/token-cache.js';
import { pod, TestApi } from '../setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('sa1');
  await t.post('/api/v1/namespaces/sa1/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
});
after(() => t?.close());

const tokens = () => t.api.authn.serviceAccountTokens;
const chain = () => t.api.authn.chain;

async function requestToken(spec: Record<string, unknown> = {}, sa = 'robot'): Promise<string> {
  const tr = await t.post(`/api/v1/namespaces/sa1/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
  return tr.status.token;
}

function rejected(token: string, why: RegExp, audiences?: string[]): void {
  assert.throws(
    () => chain().authenticateToken(token, audiences),
    (err: Error) => err instanceof AuthenticationError && why.test(err.message),
  );
}

test('TokenRequest answers a signed token for the account, with the defaults filled in', async () => {
  const tr = await t.post('/api/v1/namespaces/sa1/serviceaccounts/robot/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(tr.kind, 'TokenRequest');
  assert.equal(tr.spec.expirationSeconds, 3600);
  assert.deepEqual(tr.spec.audiences, [DEFAULT_ISSUER]);
  const exp = Date.parse(tr.status.expirationTimestamp);
  assert.ok(Math.abs(exp - Date.now() - 3600_000) < 5_000, tr.status.expirationTimestamp);
  const r = chain().authenticateToken(tr.status.token)!;
  assert.equal(r.user.username, 'system:serviceaccount:sa1:robot');
  assert.deepEqual(r.user.groups, ['system:serviceaccounts', 'system:serviceaccounts:sa1', 'system:authenticated']);
  const sa = await t.get('/api/v1/namespaces/sa1/serviceaccounts/robot');
  assert.equal(r.user.uid, sa.metadata!.uid);
});

test('TokenRequest refuses a duration under 10 minutes and a missing account', async () => {
  const short = await t.fail('POST', '/api/v1/namespaces/sa1/serviceaccounts/robot/token', { body: { spec: { expirationSeconds: 60 } } });
  assert.equal(short.code, 422);
  assert.match(short.message, /may not specify a duration less than 10 minutes/);
  const missing = await t.fail('POST', '/api/v1/namespaces/sa1/serviceaccounts/ghost/token', { body: { spec: {} } });
  assert.equal(missing.code, 404);
  assert.equal(missing.message, 'serviceaccounts "ghost" not found');
});

test('a token for another audience is refused for the API but accepted by a review asking for that audience', async () => {
  const token = await requestToken({ audiences: ['vault'] });
  rejected(token, /audiences is invalid/);
  assert.deepEqual(chain().authenticateToken(token, ['vault'])?.audiences, ['vault']);
  const review = await t.post('/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token, audiences: ['vault'] },
  });
  assert.equal(review.status.authenticated, true);
  assert.deepEqual(review.status.audiences, ['vault']);
  const apiReview = await t.post('/apis/authentication.k8s.io/v1/tokenreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token },
  });
  assert.equal(apiReview.status.authenticated, undefined);
  assert.match(apiReview.status.error, /invalid bearer token/);
});

test('a token signed by another key is refused (a forged token)', async () => {
  const other = new ServiceAccountTokens(generateServiceAccountKey(), DEFAULT_ISSUER, [DEFAULT_ISSUER], () => undefined);
  const sa = await t.get('/api/v1/namespaces/sa1/serviceaccounts/robot');
  const forged = await other.issue({
    namespace: 'sa1',
    serviceAccount: { name: 'robot', uid: sa.metadata!.uid },
    audiences: [DEFAULT_ISSUER],
    expirationSeconds: 3600,
  });
  rejected(forged.token, /signature does not verify/);
  // The payload of a real token with another signature: the same.
  const real = await requestToken();
  const [h, p] = real.split('.');
  rejected(`${h}.${p}.${forged.token.split('.')[2]}`, /signature does not verify/);
});

test('an expired token is refused', async () => {
  let now = Date.now();
  const sa = await t.get('/api/v1/namespaces/sa1/serviceaccounts/robot');
  const clocked = new ServiceAccountTokens(
    tokens().key,
    DEFAULT_ISSUER,
    [DEFAULT_ISSUER],
    (r, ns, n) => t.api.cache.get(`/registry/${r}/${ns}/${n}`),
    () => now,
  );
  const issued = await clocked.issue({
    namespace: 'sa1',
    serviceAccount: { name: 'robot', uid: sa.metadata!.uid },
    audiences: [DEFAULT_ISSUER],
    expirationSeconds: 600,
  });
  assert.equal(clocked.authenticateToken(issued.token)?.user.username, 'system:serviceaccount:sa1:robot');
  now += 601_000;
  assert.throws(() => clocked.authenticateToken(issued.token), /expired/);
});

test('a token bound to a pod stops working once the pod is deleted or replaced by one of another UID', async () => {
  await t.post('/api/v1/namespaces/sa1/pods', pod('p1', { serviceAccountName: 'robot' }));
  const p1 = await t.get('/api/v1/namespaces/sa1/pods/p1');
  const token = await requestToken({ boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: p1.metadata!.uid } });
  const r = chain().authenticateToken(token)!;
  assert.deepEqual(r.user.extra?.['authentication.kubernetes.io/pod-name'], ['p1']);
  assert.deepEqual(r.user.extra?.['authentication.kubernetes.io/pod-uid'], [p1.metadata!.uid]);
  await t.del('/api/v1/namespaces/sa1/pods/p1', { gracePeriodSeconds: 0 });
  await t.api.cache.sync();
  rejected(token, /pod sa1\/p1 of the token is not found/);
  await t.post('/api/v1/namespaces/sa1/pods', pod('p1', { serviceAccountName: 'robot' }));
  await t.api.cache.sync();
  rejected(token, /has another UID/);
});

test("binding to a pod of another account, or to a UID that is not the pod's, is refused", async () => {
  await t.post('/api/v1/namespaces/sa1/pods', pod('p2'));
  const other = await t.fail('POST', '/api/v1/namespaces/sa1/serviceaccounts/robot/token', { body: { spec: { boundObjectRef: { kind: 'Pod', name: 'p2' } } } });
  assert.equal(other.code, 400);
  assert.match(other.message, /cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name/);
  await t.post('/api/v1/namespaces/sa1/pods', pod('p3', { serviceAccountName: 'robot' }));
  const uid = await t.fail('POST', '/api/v1/namespaces/sa1/serviceaccounts/robot/token', {
    body: { spec: { boundObjectRef: { kind: 'Pod', name: 'p3', uid: 'not-it' } } },
  });
  assert.equal(uid.code, 409);
});

test('a token of a deleted service account is refused; a Secret-bound token dies with its Secret', async () => {
  await t.post('/api/v1/namespaces/sa1/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'brief' } });
  await t.post('/api/v1/namespaces/sa1/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'anchor' } });
  const token = await requestToken({ boundObjectRef: { kind: 'Secret', apiVersion: 'v1', name: 'anchor' } }, 'brief');
  assert.ok(chain().authenticateToken(token));
  await t.del('/api/v1/namespaces/sa1/secrets/anchor');
  await t.api.cache.sync();
  rejected(token, /secret sa1\/anchor of the token is not found/);
  const plain = await requestToken({}, 'brief');
  await t.del('/api/v1/namespaces/sa1/serviceaccounts/brief');
  await t.api.cache.sync();
  rejected(plain, /serviceaccount sa1\/brief of the token is not found/);
});

test('a legacy token works while its Secret exists', async () => {
  const sa = await t.get('/api/v1/namespaces/sa1/serviceaccounts/robot');
  await t.post('/api/v1/namespaces/sa1/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'robot-token', annotations: { 'kubernetes.io/service-account.name': 'robot' } },
    type: 'kubernetes.io/service-account-token',
  });
  const legacy = await tokens().issueLegacy('sa1', { name: 'robot', uid: sa.metadata!.uid }, 'robot-token');
  assert.equal(chain().authenticateToken(legacy)?.user.username, 'system:serviceaccount:sa1:robot');
  await t.del('/api/v1/namespaces/sa1/secrets/robot-token');
  await t.api.cache.sync();
  rejected(legacy, /secret sa1\/robot-token of the token is gone/);
});

// How fast a cached token is checked is a figure of bench/token-review, not of a timed test;
// here: the cache keeps what it was given, stays bounded, and lets the oldest go first.
test('verified tokens are kept in a bounded cache, oldest out first', () => {
  const cache = new VerifiedTokenCache<{ sub: string }>(3);
  for (const t of ['a', 'b', 'c']) cache.set(t, { sub: t });
  assert.deepEqual(cache.get('b'), { sub: 'b' });
  cache.set('d', { sub: 'd' });
  assert.equal(cache.get('a'), undefined);
  assert.deepEqual(
    ['b', 'c', 'd'].map((t) => cache.get(t)?.sub),
    ['b', 'c', 'd'],
  );
});

test('SelfSubjectReview answers the requesting user', async () => {
  const r = await t.post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  assert.deepEqual(r.status.userInfo, { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] });
});
