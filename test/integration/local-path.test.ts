// The local-path provisioner against a real `skiff server` with simulated nodes, driven by
// the real kubectl: the default StorageClass, a PVC defaulted to it waiting for its first
// consumer, the scheduler choosing the node, the PV provisioned there and bound both ways,
// the claim protected while a pod uses it, and the PV and its directory gone after. Also static binding of a
// pre-made PV by a claim without a class.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startServer, type TestServer, kubectlOk } from '../helpers/server.js';
import { eventually as waitEventually } from '../helpers/wait.js';

let s: TestServer;

before(async () => {
  s = await startServer({ args: ['--simulated-nodes', '2'] });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

const eventually = <T>(what: string, ms: number, fn: () => Promise<T | undefined>) => waitEventually(what, ms, fn, () => s.logs());

const getJson = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));

test('default StorageClass local-path exists and is the default', async () => {
  const sc = await eventually('storage class', 10_000, async () => {
    const r = await s.kubectl(['get', 'storageclass', 'local-path', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  });
  assert.equal(sc.provisioner, 'skiff.io/local-path');
  assert.equal(sc.volumeBindingMode, 'WaitForFirstConsumer');
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.match(await ok(['get', 'storageclass']), /local-path \(default\)\s+skiff\.io\/local-path\s+Delete\s+WaitForFirstConsumer/);
});

test("PVC + pod: PV provisioned on the pod's node, bound; PVC deleted: PV and directory gone", async () => {
  await eventually('storage class', 10_000, async () => ((await s.kubectl(['get', 'storageclass', 'local-path'])).code === 0 ? true : undefined));
  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
`,
  );
  const pvc = await getJson(['get', 'pvc', 'data']);
  assert.equal(pvc.spec.storageClassName, 'local-path', 'the default class is filled in at admission');
  // No consumer yet: the claim waits.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal((await getJson(['get', 'pvc', 'data'])).status.phase, 'Pending');
  assert.equal((await ok(['get', 'pv', '-o', 'name'])).trim(), '');

  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: Pod
metadata: { name: user }
spec:
  containers: [{ name: c, image: busybox, volumeMounts: [{ name: d, mountPath: /data }] }]
  volumes: [{ name: d, persistentVolumeClaim: { claimName: data } }]
`,
  );
  const node = await eventually('pod scheduled', 15_000, async () => (await getJson(['get', 'pod', 'user'])).spec.nodeName || undefined);
  const bound = await eventually('pvc bound', 15_000, async () => {
    const p = await getJson(['get', 'pvc', 'data']);
    return p.status?.phase === 'Bound' ? p : undefined;
  });
  assert.equal(bound.metadata.annotations['volume.kubernetes.io/selected-node'], node);
  assert.equal(bound.spec.volumeName, `pvc-${pvc.metadata.uid}`);
  assert.equal(bound.status.capacity.storage, '1Gi');
  assert.deepEqual(bound.status.accessModes, ['ReadWriteOnce']);
  const pv = await eventually('pv bound', 10_000, async () => {
    const v = await getJson(['get', 'pv', bound.spec.volumeName]);
    return v.status?.phase === 'Bound' ? v : undefined;
  });
  assert.equal(pv.spec.claimRef.name, 'data');
  assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);
  assert.equal(pv.spec.storageClassName, 'local-path');
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
  assert.equal(pv.spec.hostPath.type, 'DirectoryOrCreate');
  assert.ok(pv.spec.hostPath.path.startsWith(`${join(s.dataDir, 'storage')}/`), pv.spec.hostPath.path);
  assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: [node] });
  assert.match(await ok(['get', 'pvc', 'data']), new RegExp(`data\\s+Bound\\s+${pv.metadata.name}\\s+1Gi\\s+RWO\\s+local-path`));

  // Simulated nodes run no agent processes: stand in for the agent's DirectoryOrCreate.
  mkdirSync(pv.spec.hostPath.path, { recursive: true });
  writeFileSync(join(pv.spec.hostPath.path, 'file'), 'x');
  // Deleting the claim while a pod uses it only marks it (pvc-protection); the data stays.
  assert.deepEqual(bound.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  assert.deepEqual(pv.metadata.finalizers, ['kubernetes.io/pv-protection']);
  await ok(['delete', 'pvc', 'data', '--wait=false']);
  await new Promise((r) => setTimeout(r, 1500));
  assert.match(await ok(['get', 'pvc', 'data']), /data\s+Terminating/);
  assert.equal((await getJson(['get', 'pv', pv.metadata.name])).status.phase, 'Bound');
  assert.equal(existsSync(join(pv.spec.hostPath.path, 'file')), true);
  await ok(['delete', 'pod', 'user', '--wait=true', '--timeout=30s']);
  await eventually('pvc gone', 15_000, async () => ((await s.kubectl(['get', 'pvc', 'data'])).code !== 0 ? true : undefined));
  await eventually('pv deleted', 15_000, async () => ((await s.kubectl(['get', 'pv', pv.metadata.name])).code !== 0 ? true : undefined));
  assert.equal(existsSync(pv.spec.hostPath.path), false, 'the volume directory is removed');
});

test('a claim without a class binds to a matching pre-made PV; the PV is Released after, and kept (Retain)', async () => {
  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: PersistentVolume
metadata: { name: manual-small }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: { path: /tmp/skiff-never-used-small }
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: manual-big }
spec:
  capacity: { storage: 5Gi }
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: { path: /tmp/skiff-never-used-big }
`,
  );
  await eventually('pv available', 10_000, async () => ((await getJson(['get', 'pv', 'manual-small'])).status?.phase === 'Available' ? true : undefined));
  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: static }
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 500Mi } }
`,
  );
  const bound = await eventually('static pvc bound', 15_000, async () => {
    const p = await getJson(['get', 'pvc', 'static']);
    return p.status?.phase === 'Bound' ? p : undefined;
  });
  assert.equal(bound.spec.volumeName, 'manual-small', 'the smallest PV that fits');
  assert.equal(bound.status.capacity.storage, '1Gi');
  assert.equal((await getJson(['get', 'pv', 'manual-big'])).status.phase, 'Available');
  await ok(['delete', 'pvc', 'static', '--wait=true', '--timeout=30s']);
  await eventually('pv released', 15_000, async () => ((await getJson(['get', 'pv', 'manual-small'])).status?.phase === 'Released' ? true : undefined));
  await ok(['delete', 'pv', 'manual-small', 'manual-big']);
});

test('a claim made while no default class exists gets the default class once one appears', async () => {
  const cls = await getJson(['get', 'storageclass', 'local-path']);
  await ok(['delete', 'storageclass', 'local-path']);
  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: early }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
`,
  );
  assert.equal((await getJson(['get', 'pvc', 'early'])).spec.storageClassName, undefined);
  await ok(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'local-path', annotations: cls.metadata.annotations },
      provisioner: cls.provisioner,
      reclaimPolicy: cls.reclaimPolicy,
      volumeBindingMode: cls.volumeBindingMode,
    }),
  );
  await eventually('default class assigned', 15_000, async () =>
    (await getJson(['get', 'pvc', 'early'])).spec.storageClassName === 'local-path' ? true : undefined,
  );
  await ok(['delete', 'pvc', 'early', '--wait=true', '--timeout=30s']);
});

test("StatefulSet volumeClaimTemplates get local-path volumes on their pods' nodes", async () => {
  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  replicas: 2
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers: [{ name: c, image: busybox, volumeMounts: [{ name: data, mountPath: /data }] }]
  volumeClaimTemplates:
  - metadata: { name: data }
    spec:
      accessModes: [ReadWriteOnce]
      resources: { requests: { storage: 100Mi } }
`,
  );
  for (const i of [0, 1]) {
    const claim = await eventually(`data-db-${i} bound`, 30_000, async () => {
      const p = await getJson(['get', 'pvc', `data-db-${i}`]);
      return p.status?.phase === 'Bound' ? p : undefined;
    });
    assert.equal(claim.spec.storageClassName, 'local-path');
    const podNode = await eventually(`db-${i} scheduled`, 10_000, async () => (await getJson(['get', 'pod', `db-${i}`])).spec.nodeName || undefined);
    const pv = await getJson(['get', 'pv', claim.spec.volumeName]);
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [podNode]);
  }
  await ok(['delete', 'statefulset', 'db', '--wait=true', '--timeout=30s']);
  await ok(['delete', 'pvc', 'data-db-0', 'data-db-1', '--wait=true', '--timeout=60s']);
  await eventually('pvs gone', 20_000, async () => ((await ok(['get', 'pv', '-o', 'name'])).trim() === '' ? true : undefined));
});

test('generic ephemeral volume: a claim owned by the pod, provisioned, and removed with the pod', async () => {
  await ok(
    ['apply', '-f', '-'],
    `
apiVersion: v1
kind: Pod
metadata: { name: eph }
spec:
  containers: [{ name: c, image: busybox, volumeMounts: [{ name: scratch, mountPath: /scratch }] }]
  volumes:
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        metadata: { labels: { kind: scratch } }
        spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 50Mi } } }
`,
  );
  const pod = await getJson(['get', 'pod', 'eph']);
  const claim = await eventually('ephemeral claim bound', 30_000, async () => {
    const r = await s.kubectl(['get', 'pvc', 'eph-scratch', '-o', 'json']);
    const p = r.code === 0 ? JSON.parse(r.stdout) : undefined;
    return p?.status?.phase === 'Bound' ? p : undefined;
  });
  assert.deepEqual(
    claim.metadata.ownerReferences.map((o: { kind: string; uid: string; controller: boolean }) => [o.kind, o.uid, o.controller]),
    [['Pod', pod.metadata.uid, true]],
  );
  assert.equal(claim.metadata.labels.kind, 'scratch');
  assert.equal(claim.spec.storageClassName, 'local-path');
  const node = await eventually('eph scheduled', 10_000, async () => (await getJson(['get', 'pod', 'eph'])).spec.nodeName || undefined);
  assert.deepEqual((await getJson(['get', 'pv', claim.spec.volumeName])).spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values, [node]);
  await ok(['delete', 'pod', 'eph', '--wait=true', '--timeout=30s']);
  await eventually('claim collected', 30_000, async () => ((await s.kubectl(['get', 'pvc', 'eph-scratch'])).code !== 0 ? true : undefined));
  await eventually('pv gone', 20_000, async () => ((await s.kubectl(['get', 'pv', claim.spec.volumeName])).code !== 0 ? true : undefined));
});
