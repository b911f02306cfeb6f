// The official JavaScript client (@kubernetes/client-node) against a Skiff server:
// list, informer (list+watch), create, replace, delete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

before(async () => {
  s = await startServer();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(s.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
  apps = kc.makeApiClient(k8s.AppsV1Api);
});
after(async () => {
  await s?.cleanup();
});

test('create, list, replace and delete ConfigMaps', async () => {
  const created = await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'cn-1', labels: { via: 'client-node' } }, data: { k: 'v' } },
  });
  assert.equal(created.metadata?.name, 'cn-1');
  assert.ok(created.metadata?.uid);
  const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'via=client-node' });
  assert.deepEqual(
    list.items.map((i) => i.metadata?.name),
    ['cn-1'],
  );
  created.data = { k: 'v2' };
  const replaced = await core.replaceNamespacedConfigMap({ name: 'cn-1', namespace: 'default', body: created });
  assert.equal(replaced.data?.k, 'v2');
  assert.notEqual(replaced.metadata?.resourceVersion, created.metadata?.resourceVersion);
  await core.deleteNamespacedConfigMap({ name: 'cn-1', namespace: 'default' });
  await assert.rejects(core.readNamespacedConfigMap({ name: 'cn-1', namespace: 'default' }), (e: any) => e.code === 404);
});

test('a Deployment round trip through AppsV1Api', async () => {
  const d = await apps.createNamespacedDeployment({
    namespace: 'default',
    body: {
      metadata: { name: 'cn-web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'httpd' }] } },
      },
    },
  });
  assert.equal(d.spec?.strategy?.type, 'RollingUpdate');
  const scale = await apps.readNamespacedDeploymentScale({ name: 'cn-web', namespace: 'default' });
  assert.equal(scale.spec?.replicas, 2);
  assert.equal(scale.status?.selector, 'app=web');
  await apps.deleteNamespacedDeployment({ name: 'cn-web', namespace: 'default' });
});

test("the client's informer sees adds, updates and deletes", async () => {
  const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const seen: string[] = [];
  informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
  informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${o.data?.k}`));
  informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
  await informer.start();
  try {
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf-1' }, data: { k: '1' } } });
    await waitFor(() => seen.includes('add:inf-1'));
    cm.data = { k: '2' };
    await core.replaceNamespacedConfigMap({ name: 'inf-1', namespace: 'default', body: cm });
    await waitFor(() => seen.includes('update:inf-1:2'));
    assert.equal(informer.get('inf-1', 'default')?.data?.k, '2');
    await core.deleteNamespacedConfigMap({ name: 'inf-1', namespace: 'default' });
    await waitFor(() => seen.includes('delete:inf-1'));
  } finally {
    await informer.stop();
  }
});

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
