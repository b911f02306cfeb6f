// Which pods keep a claim in use, and the admission that adds the protection finalizers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podUsesClaim } from '../../src/controllers/volume-protection.js';
import { storageObjectInUseProtection } from '../../src/apiserver/admission/storage-protection.js';
import type { KObject, ResourceDef } from '../../src/api/types.js';

const pod = (phase: string, volumes: NonNullable<Pod['spec']>['volumes']): Pod => ({
  metadata: { name: 'p', namespace: 'ns' },
  spec: { containers: [], volumes },
  status: { phase },
});

test('podUsesClaim: running pods with the claim (or its generic ephemeral volume) use it; finished pods do not', () => {
  assert.ok(podUsesClaim(pod('Running', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }]), 'data'));
  assert.ok(podUsesClaim(pod('Pending', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }]), 'data'));
  assert.ok(!podUsesClaim(pod('Running', [{ name: 'v', persistentVolumeClaim: { claimName: 'other' } }]), 'data'));
  assert.ok(!podUsesClaim(pod('Succeeded', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }]), 'data'));
  assert.ok(!podUsesClaim(pod('Failed', [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }]), 'data'));
  assert.ok(podUsesClaim(pod('Running', [{ name: 'scratch', ephemeral: {} }]), 'p-scratch'));
});

test('storage protection admission adds each finalizer once, only on create', async () => {
  const hook = storageObjectInUseProtection();
  const def = (plural: string) => ({ group: '', plural }) as ResourceDef;
  const pvc: KObject = { metadata: { name: 'c', finalizers: ['example.com/keep'] } };
  await hook('create', def('persistentvolumeclaims'), pvc);
  await hook('create', def('persistentvolumeclaims'), pvc);
  assert.deepEqual(pvc.metadata!.finalizers, ['example.com/keep', 'kubernetes.io/pvc-protection']);
  const pv: KObject = { metadata: { name: 'v' } };
  await hook('create', def('persistentvolumes'), pv);
  assert.deepEqual(pv.metadata!.finalizers, ['kubernetes.io/pv-protection']);
  const updated: KObject = { metadata: { name: 'u' } };
  await hook('update', def('persistentvolumes'), updated);
  assert.equal(updated.metadata!.finalizers, undefined);
  const other: KObject = { metadata: { name: 'o' } };
  await hook('create', def('configmaps'), other);
  assert.equal(other.metadata!.finalizers, undefined);
});
