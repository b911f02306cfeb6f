// Fills a stopped server's SQLite data dir straight through the store API: the fast way to
// get a data dir holding hundreds of thousands of objects (HTTPS creates would take minutes).
// The objects look as the apiserver stores them (uid, creationTimestamp, no resourceVersion).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SqliteStore } from '../../src/storage/sqlite.js';

export interface SeedCounts {
  configMaps: number;
  pods: number;
  /** Objects are spread over this many namespaces (created too). */
  namespaces?: number;
}

function meta(name: string, namespace: string | undefined, now: string): Record<string, unknown> {
  return { name, ...(namespace ? { namespace } : {}), uid: randomUUID(), creationTimestamp: now };
}

/** Writes the objects into DATA_DIR/db/state.db; returns the store's newest revision. */
export async function seedStore(dataDir: string, counts: SeedCounts): Promise<number> {
  const store = SqliteStore.open(join(dataDir, 'db', 'state.db'), { compactEvery: 0, fsyncBeforeAck: false });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const nsCount = counts.namespaces ?? 10;
  const ns = (i: number) => `seed-${i % nsCount}`;
  try {
    for (let i = 0; i < nsCount; i++) {
      const name = ns(i);
      const obj = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: meta(name, undefined, now),
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      };
      await store.create(`/registry/namespaces/${name}`, JSON.stringify(obj));
    }
    for (let i = 0; i < counts.configMaps; i++) {
      const obj = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(`cm-${i}`, ns(i), now),
        data: { index: String(i), note: 'seeded for the start-up figure' },
      };
      await store.create(`/registry/configmaps/${ns(i)}/cm-${i}`, JSON.stringify(obj));
    }
    for (let i = 0; i < counts.pods; i++) {
      const obj = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...meta(`pod-${i}`, ns(i), now), labels: { app: 'seed', shard: String(i % 7) } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.local/app:1.0',
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'IfNotPresent',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          serviceAccountName: 'default',
          schedulerName: 'default-scheduler',
          enableServiceLinks: true,
          preemptionPolicy: 'PreemptLowerPriority',
          priority: 0,
        },
        status: { phase: 'Pending', qosClass: 'Burstable' },
      };
      await store.create(`/registry/pods/${ns(i)}/pod-${i}`, JSON.stringify(obj));
    }
    return await store.currentRevision();
  } finally {
    await store.close();
  }
}
