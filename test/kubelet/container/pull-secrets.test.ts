import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { authsForImage, authsFromSecret, registryOf } from '../../../src/kubelet/container/pull-secrets.js';
import { pullPolicyOf } from '../../../src/kubelet/container/image-puller.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (data: Record<string, string>): Secret => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'regcred', namespace: 'ns' }, data });

test('registry hosts of image references', () => {
  assert.equal(registryOf('busybox'), 'docker.io');
  assert.equal(registryOf('library/busybox:1'), 'docker.io');
  assert.equal(registryOf('localhost:5000/app'), 'localhost:5000');
  assert.equal(registryOf('Reg.Example.com/team/app@sha256:ab'), 'reg.example.com');
});

test('.dockerconfigjson and .dockercfg secrets decode to CRI auth, matched by registry', () => {
  const json = secret({
    '.dockerconfigjson': b64(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('hub:pw') },
          'localhost:5000': { username: 'u', password: 'p' },
        },
      }),
    ),
  });
  const auths = authsFromSecret(json);
  assert.deepEqual(auths, [
    { serverAddress: 'https://index.docker.io/v1/', auth: b64('hub:pw'), username: 'hub', password: 'pw' },
    { serverAddress: 'localhost:5000', username: 'u', password: 'p' },
  ]);
  assert.deepEqual(
    authsForImage('nginx:1', auths).map((a) => a.username),
    ['hub'],
  );
  assert.deepEqual(
    authsForImage('localhost:5000/app', auths).map((a) => a.username),
    ['u'],
  );
  assert.deepEqual(authsForImage('quay.io/x', auths), []);
  const old = secret({ '.dockercfg': b64(JSON.stringify({ 'quay.io': { auth: b64('q:w') } })) });
  assert.equal(authsFromSecret(old)[0]!.username, 'q');
});

test('bad pull secrets give errors naming the secret', () => {
  assert.throws(() => authsFromSecret(secret({ token: 'x' })), /secret ns\/regcred has neither/);
  assert.throws(() => authsFromSecret(secret({ '.dockerconfigjson': b64('{nope') })), /ns\/regcred: registry credentials are not valid JSON/);
  assert.throws(() => authsFromSecret(secret({ '.dockerconfigjson': b64('{}') })), /no "auths"/);
});

test('pull policy defaults as the apiserver does', () => {
  assert.equal(pullPolicyOf({ name: 'a', image: 'busybox' }), 'Always');
  assert.equal(pullPolicyOf({ name: 'a', image: 'busybox:latest' }), 'Always');
  assert.equal(pullPolicyOf({ name: 'a', image: 'busybox:1.36' }), 'IfNotPresent');
  assert.equal(pullPolicyOf({ name: 'a', image: 'localhost:5000/busybox' }), 'Always');
  assert.equal(pullPolicyOf({ name: 'a', image: 'busybox', imagePullPolicy: 'Never' }), 'Never');
});

test('podPullAuths uses the secrets it can read and names the others', async () => {
  const { podPullAuths, PullSecretsError } = await import('../../../src/kubelet/container/pull-secrets.js');
  const good = secret({ '.dockerconfigjson': b64(JSON.stringify({ auths: { 'localhost:5000': { username: 'u', password: 'p' } } })) });
  const pod = { metadata: { namespace: 'ns' }, spec: { imagePullSecrets: [{ name: 'regcred' }, { name: 'missing' }] } };
  const asked: string[] = [];
  const get = async (ns: string, name: string) => {
    asked.push(`${ns}/${name}`);
    return name === 'regcred' ? good : undefined;
  };
  await assert.rejects(podPullAuths(pod, get), (err: unknown) => {
    assert.ok(err instanceof PullSecretsError);
    assert.equal(err.message, 'secret "missing" not found');
    assert.deepEqual(err.auths, [{ serverAddress: 'localhost:5000', username: 'u', password: 'p' }]);
    return true;
  });
  assert.deepEqual(asked, ['ns/regcred', 'ns/missing']);
  assert.deepEqual(await podPullAuths({ metadata: { namespace: 'ns' }, spec: { imagePullSecrets: [{ name: 'regcred' }] } }, get), [
    { serverAddress: 'localhost:5000', username: 'u', password: 'p' },
  ]);
});
