// A server restarted on a data dir that already holds thousands of objects (seeded straight
// through the store) answers the real kubectl as soon as it says it is ready, while its
// scheduler is still working through the backlog; and the backlog is worked through.
// How fast this is belongs in bench/startup.ts, not here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { seedStore } from '../helpers/seed-store.js';
import { startServer, type TestServer } from '../helpers/server.js';

const PODS = 3000;
const CONFIGMAPS = 1000;

function looked(pods: { status?: { conditions?: { type?: string }[] } }[]): number {
  return pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled')).length;
}

test('restarted on a data dir of thousands of objects, the server serves kubectl while the scheduler catches up', async (t) => {
  let s: TestServer | undefined = await startServer();
  const dataDir = s.dataDir;
  try {
    await s.stop();
    await seedStore(dataDir, { configMaps: CONFIGMAPS, pods: PODS, namespaces: 5 });
    // No node: every seeded pod is unschedulable, and the scheduler says so on each of them.
    s = await startServer({ dataDir, timeoutMs: 120_000 });
    const got = await s.kubectl(['get', 'configmap', 'cm-7', '-n', 'seed-2', '-o', 'jsonpath={.data.index}'], { timeoutMs: 60_000 });
    assert.equal(got.code, 0, `kubectl get after the ready line failed: ${got.stderr}`);
    assert.equal(got.stdout, '7');
    const readyz = await s.kubectl(['get', '--raw', '/readyz'], { timeoutMs: 60_000 });
    assert.equal(readyz.stdout.trim(), 'ok');

    const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
    try {
      const first = await client.pods.list({ labelSelector: 'app=seed' });
      assert.equal(first.items.length, PODS);
      t.diagnostic(`${looked(first.items)} of ${PODS} seeded pods had been through the scheduler when kubectl was answered`);
      // The backlog is worked through (bounded wait): each pod gets its PodScheduled condition.
      const deadline = Date.now() + 240_000;
      let n = 0;
      while (Date.now() < deadline) {
        n = looked((await client.pods.list({ labelSelector: 'app=seed' })).items);
        if (n === PODS) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert.equal(n, PODS, `only ${n} of ${PODS} seeded pods were looked at by the scheduler`);
    } finally {
      client.close();
    }
  } finally {
    await s?.cleanup();
  }
});
