import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { serviceAccountAdmission, TOKEN_MOUNT_PATH } from '../../../src/apiserver/admission/service-account.js';
import { pod, TestApi } from '../setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  t.api.storage.admission.unshift(serviceAccountAdmission(t.api.cache));
  await t.namespace('adm');
  for (const [name, extra] of [
    ['default', {}],
    ['quiet', { automountServiceAccountToken: false }],
    ['puller', { imagePullSecrets: [{ name: 'regcred' }] }],
  ] as const)
    await t.post('/api/v1/namespaces/adm/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name }, ...extra });
});
after(() => t?.close());

test('a pod gets the default account and the kube-api-access volume mounted in every container', async () => {
  const p = await t.post(
    '/api/v1/namespaces/adm/pods',
    pod('a', {
      initContainers: [{ name: 'init', image: 'busybox' }],
      containers: [
        { name: 'c1', image: 'busybox' },
        { name: 'c2', image: 'busybox' },
      ],
    }),
  );
  assert.equal(p.spec.serviceAccountName, 'default');
  const vols = p.spec.volumes.filter((v: any) => v.name.startsWith('kube-api-access-'));
  assert.equal(vols.length, 1);
  assert.match(vols[0].name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vols[0].projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
    ],
  });
  for (const c of [...p.spec.initContainers, ...p.spec.containers])
    assert.deepEqual(c.volumeMounts, [{ name: vols[0].name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }], c.name);
});

test('automountServiceAccountToken: false on the pod or on its account means no token volume', async () => {
  const byPod = await t.post('/api/v1/namespaces/adm/pods', pod('b', { automountServiceAccountToken: false }));
  assert.equal(byPod.spec.volumes, undefined);
  const byAccount = await t.post('/api/v1/namespaces/adm/pods', pod('c', { serviceAccountName: 'quiet' }));
  assert.equal(byAccount.spec.volumes, undefined);
  // The pod's own true wins over the account's false.
  const podWins = await t.post('/api/v1/namespaces/adm/pods', pod('d', { serviceAccountName: 'quiet', automountServiceAccountToken: true }));
  assert.equal(podWins.spec.volumes.length, 1);
});

test("a pod without imagePullSecrets takes its account's", async () => {
  const p = await t.post('/api/v1/namespaces/adm/pods', pod('e', { serviceAccountName: 'puller' }));
  assert.deepEqual(p.spec.imagePullSecrets, [{ name: 'regcred' }]);
});

test('a pod naming a missing account is refused as Kubernetes refuses it', async () => {
  const s = await t.fail('POST', '/api/v1/namespaces/adm/pods', { body: pod('f', { serviceAccountName: 'ghost' }) });
  assert.equal(s.code, 403);
  assert.equal(s.message, 'pods "f" is forbidden: error looking up service account adm/ghost: serviceaccount "ghost" not found');
});

test('a container that already mounts the token path keeps its own mount', async () => {
  const own = { name: 'mine', emptyDir: {} };
  const p = await t.post(
    '/api/v1/namespaces/adm/pods',
    pod('g', { volumes: [own], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }] }] }),
  );
  assert.deepEqual(
    p.spec.volumes.map((v: any) => v.name),
    ['mine'],
  );
});
