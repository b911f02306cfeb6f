// VolumeBinding against an in-process apiserver and the running scheduler: claims of a
// WaitForFirstConsumer class let the pod schedule and get the chosen node recorded on
// them; immediate unbound claims and missing claims keep the pod pending; bound PVs'
// node affinity picks the node. Also the DefaultStorageClass admission on the same server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { resources } from '../../src/client/resources.js';
import { pickDefaultClass } from '../../src/api/storage/index.js';
import { SELECTED_NODE_ANNOTATION } from '../../src/scheduler/plugins/volume-binding.js';
import { node, pod, startHarness, waitBound, waitFor } from './harness.js';

const claim = (name: string, storageClassName?: string, extra: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default' },
  spec: {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
    ...(storageClassName !== undefined ? { storageClassName } : {}),
    ...extra,
  },
});
const withClaim = (name: string, claimName: string) => pod(name, { volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }] });

test('VolumeBinding: WaitForFirstConsumer claims get the selected node; immediate unbound claims wait', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const sc = h.client.resource(resources.storageClasses);
  const pvcs = h.client.resource(resources.persistentVolumeClaims);
  await sc.create({ metadata: { name: 'wffc' }, provisioner: 'example.com/x', volumeBindingMode: 'WaitForFirstConsumer' });
  await sc.create({ metadata: { name: 'now' }, provisioner: 'example.com/x' });
  await h.client.nodes.create(node('n1'));
  await h.client.nodes.create(node('n2'));
  await pvcs.create(claim('late', 'wffc'));
  await pvcs.create(claim('early', 'now'));

  await h.client.pods.create(withClaim('consumer', 'late'));
  const chosen = await waitBound(h.client, 'consumer');
  const annotated = await waitFor(
    async () => (await pvcs.get('late', 'default')).metadata?.annotations?.[SELECTED_NODE_ANNOTATION],
    'selected-node annotation',
  );
  assert.equal(annotated, chosen);

  await h.client.pods.create(withClaim('blocked', 'early'));
  await h.client.pods.create(withClaim('nothing', 'absent'));
  const msg = (name: string) =>
    waitFor(async () => (await h.client.pods.get(name, 'default')).status?.conditions?.find((c) => c.type === 'PodScheduled')?.message, `${name} condition`);
  assert.match(await msg('blocked'), /pod has unbound immediate PersistentVolumeClaims/);
  assert.match(await msg('nothing'), /persistentvolumeclaim "absent" not found/);

  // A claim already promised to a node keeps its pods there.
  await pvcs.create({ ...claim('promised', 'wffc'), metadata: { name: 'promised', namespace: 'default', annotations: { [SELECTED_NODE_ANNOTATION]: 'n2' } } });
  await h.client.pods.create(withClaim('follower', 'promised'));
  assert.equal(await waitBound(h.client, 'follower'), 'n2');
});

test("VolumeBinding: a bound PV's node affinity chooses the node", async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  await h.client.nodes.create(node('a'));
  await h.client.nodes.create(node('b'));
  const pv = await h.client.resource(resources.persistentVolumes).create({
    metadata: { name: 'pv-b' },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      hostPath: { path: '/tmp/x' },
      claimRef: { namespace: 'default', name: 'c' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['b'] }] }] } },
    },
  });
  await h.client.resource(resources.persistentVolumeClaims).create(claim('c', '', { volumeName: pv.metadata!.name }));
  await h.client.pods.create(withClaim('p', 'c'));
  assert.equal(await waitBound(h.client, 'p'), 'b');
});

test('DefaultStorageClass admission: the newest default class; explicit "" and names kept', async (t) => {
  assert.equal(
    pickDefaultClass([
      { metadata: { name: 'old', creationTimestamp: '2024-01-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } },
      { metadata: { name: 'new', creationTimestamp: '2025-01-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } },
      { metadata: { name: 'newest-not-default', creationTimestamp: '2026-01-01T00:00:00Z' } },
    ])?.metadata?.name,
    'new',
  );
  assert.equal(pickDefaultClass([{ metadata: { name: 'x' } }]), undefined);

  const h = await startHarness();
  t.after(() => h.stop());
  const pvcs = h.client.resource(resources.persistentVolumeClaims);
  assert.equal((await pvcs.create(claim('before-any-default'))).spec?.storageClassName, undefined);
  await h.client
    .resource(resources.storageClasses)
    .create({ metadata: { name: 'std', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'example.com/x' });
  assert.equal((await pvcs.create(claim('defaulted'))).spec?.storageClassName, 'std');
  assert.equal((await pvcs.create(claim('none', ''))).spec?.storageClassName, '');
  assert.equal((await pvcs.create(claim('named', 'fast'))).spec?.storageClassName, 'fast');
});
