// The local-path provisioner's decisions as pure functions: the default class, the PV it
// makes for a claim, and which pre-made PV a claim binds to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { bestMatch, defaultStorageClass, provisionedVolume, refersTo, volumePath } from '../../src/controllers/local-path-provisioner/volumes.js';

const pvc: PersistentVolumeClaim = {
  metadata: { name: 'data', namespace: 'ns', uid: 'u-1', resourceVersion: '7' },
  spec: { storageClassName: 'local-path', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } },
};

test('default class and provisioned PV', () => {
  const cls = defaultStorageClass();
  assert.deepEqual(cls.metadata?.annotations, { 'storageclass.kubernetes.io/is-default-class': 'true' });
  assert.equal(cls.volumeBindingMode, 'WaitForFirstConsumer');
  const pv = provisionedVolume(pvc, cls, '/var/lib/skiff/storage', { name: 'node-1', hostname: 'host-1' });
  assert.equal(pv.metadata?.name, 'pvc-u-1');
  assert.equal(pv.metadata?.annotations?.['pv.kubernetes.io/provisioned-by'], 'skiff.io/local-path');
  assert.deepEqual(pv.spec?.hostPath, { path: '/var/lib/skiff/storage/ns_data_u-1', type: 'DirectoryOrCreate' });
  assert.equal(volumePath('/s', pvc), '/s/ns_data_u-1');
  assert.deepEqual(pv.spec?.capacity, { storage: '2Gi' });
  assert.equal(pv.spec?.persistentVolumeReclaimPolicy, 'Delete');
  assert.deepEqual(pv.spec?.claimRef, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'u-1', resourceVersion: '7' });
  assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms, [
    { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['host-1'] }] },
  ]);
  assert.equal(provisionedVolume(pvc, { ...cls, reclaimPolicy: 'Retain' }, '/s').spec?.nodeAffinity, undefined);
  assert.ok(refersTo(pv, pvc));
  assert.ok(!refersTo(pv, { ...pvc, metadata: { ...pvc.metadata, uid: 'other' } }));
});

test('static matching: class, modes, size, volume mode; the smallest fit wins', () => {
  const make = (name: string, size: string, o: Partial<PersistentVolume['spec']> = {}, phase = 'Available'): PersistentVolume => ({
    metadata: { name },
    spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', hostPath: { path: `/x/${name}` }, ...o },
    status: { phase },
  });
  const pvs = [
    make('too-small', '1Gi'),
    make('big', '10Gi'),
    make('right', '3Gi'),
    make('other-class', '2Gi', { storageClassName: 'fast' }),
    make('wrong-mode', '2Gi', { accessModes: ['ReadOnlyMany'] }),
    make('block', '2Gi', { volumeMode: 'Block' }),
    make('taken', '2Gi', { claimRef: { name: 'x', namespace: 'ns' } }),
    make('released', '2Gi', {}, 'Released'),
  ];
  assert.equal(bestMatch(pvc, pvs)?.metadata?.name, 'right');
  assert.equal(bestMatch({ ...pvc, spec: { ...pvc.spec, volumeName: 'big' } }, pvs)?.metadata?.name, 'big');
  assert.equal(bestMatch({ ...pvc, spec: { ...pvc.spec, resources: { requests: { storage: '100Gi' } } } }, pvs), undefined);
});
