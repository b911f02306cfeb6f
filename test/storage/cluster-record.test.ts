import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/storage/memory.js';
import { CLUSTER_RECORD_KEY, claimClusterRecord, type ClusterRecord } from '../../src/storage/cluster-record.js';

const first: ClusterRecord = { caFingerprint: 'aa', joinSecretHash: 'bb', clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16' };

test('the first server writes the cluster record; a matching one starts; a different one is told what differs', async () => {
  const store = new MemoryStore();
  await claimClusterRecord(store, first);
  assert.deepEqual(JSON.parse((await store.get(CLUSTER_RECORD_KEY))!.value), first);
  const rev = await store.currentRevision();
  await claimClusterRecord(store, { ...first });
  assert.equal(await store.currentRevision(), rev, 'a matching server writes nothing');

  await assert.rejects(claimClusterRecord(store, { ...first, caFingerprint: 'cc' }, 'http://127.0.0.1:2379'), (err: Error) => {
    assert.match(err.message, /does not match the cluster already in http:\/\/127\.0\.0\.1:2379/);
    assert.match(err.message, /caFingerprint is aa there but cc here: copy DATA_DIR\/tls/);
    return true;
  });
  await assert.rejects(claimClusterRecord(store, { ...first, joinSecretHash: 'x', clusterCIDR: '10.0.0.0/8' }), (err: Error) => {
    assert.match(err.message, /joinSecretHash .*--token/);
    assert.match(err.message, /clusterCIDR is 10\.42\.0\.0\/16 there but 10\.0\.0\.0\/8 here: start it with the same --cluster-cidr/);
    assert.doesNotMatch(err.message, /serviceCIDR/);
    return true;
  });
});

test('two servers claiming at once agree on one record', async () => {
  const store = new MemoryStore();
  const results = await Promise.allSettled([claimClusterRecord(store, first), claimClusterRecord(store, { ...first, serviceCIDR: '10.96.0.0/12' })]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
});

test('an unreadable record is reported, not overwritten', async () => {
  const store = new MemoryStore();
  await store.create(CLUSTER_RECORD_KEY, 'not json');
  await assert.rejects(claimClusterRecord(store, first), /unreadable cluster record at \/registry\/skiff\/cluster: not json/);
  assert.equal((await store.get(CLUSTER_RECORD_KEY))!.value, 'not json');
});
