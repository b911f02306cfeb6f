// Every acknowledged write survives kill -9; concurrent read-modify-write with
// resourceVersion preconditions loses no update.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { isConflict } from '../../src/client/transport.js';
import { startServer } from '../helpers/server.js';

test('kill -9 while clients write: every 2xx write is there after restart', async () => {
  const s = await startServer();
  const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
  const acked = new Map<string, string>(); // name → resourceVersion
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop && i < 5000; i++) {
      const name = `w${w}-${i}`;
      try {
        const cm = await client.configMaps.create({ metadata: { name, namespace: 'default' }, data: { i: String(i) } });
        acked.set(name, cm.metadata!.resourceVersion!);
      } catch {
        return; // the server died under us: unacknowledged writes may or may not be there
      }
    }
  };
  const writers = Array.from({ length: 8 }, (_, w) => writer(w));
  // Killed once a fair number of writes is in, however loaded the machine (bounded wait).
  const started = Date.now();
  while ((acked.size <= 50 || Date.now() - started < 1500) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 20));
  await s.stop(true);
  stop = true;
  await Promise.all(writers);
  client.close();
  assert.ok(acked.size > 50, `only ${acked.size} writes were acknowledged before the kill`);
  const maxRV = Math.max(...[...acked.values()].map(Number));

  const again = await startServer({ dataDir: s.dataDir });
  try {
    const c2 = new Client(HttpsTransport.fromKubeconfig(again.kubeconfig));
    const list = await c2.configMaps.list({ namespace: 'default' });
    const present = new Map(list.items.map((i) => [i.metadata!.name!, i.metadata!.resourceVersion!]));
    for (const [name, rv] of acked) assert.equal(present.get(name), rv, `acknowledged write ${name}@${rv} is missing after kill -9`);
    assert.ok(Number(list.metadata.resourceVersion) >= maxRV, 'the revision did not go backwards');
    const fresh = await c2.configMaps.create({ metadata: { name: 'after-restart', namespace: 'default' } });
    assert.ok(Number(fresh.metadata!.resourceVersion) > maxRV, 'new writes get higher resourceVersions');
    c2.close();
  } finally {
    await again.cleanup();
  }
});

test('50 clients incrementing one counter with preconditions lose no update', async () => {
  const s = await startServer();
  try {
    const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
    await client.configMaps.create({ metadata: { name: 'counter', namespace: 'default' }, data: { n: '0' } });
    let successes = 0;
    let conflicts = 0;
    const worker = async () => {
      for (let i = 0; i < 10; i++) {
        // Bounded, but high enough that no client starves under 50-way contention.
        for (let attempt = 0; attempt < 5000; attempt++) {
          const cm = await client.configMaps.get('counter', 'default');
          const next = { ...cm, data: { n: String(Number(cm.data!.n) + 1) } };
          try {
            await client.configMaps.update(next);
            successes++;
            break;
          } catch (err) {
            if (!isConflict(err)) throw err;
            conflicts++;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    const final = await client.configMaps.get('counter', 'default');
    assert.equal(successes, 500);
    assert.equal(Number(final.data!.n), successes, `final count ${final.data!.n} != successful updates ${successes} (conflicts: ${conflicts})`);
    assert.ok(conflicts > 0, 'the test exercised contention');
    client.close();
  } finally {
    await s.cleanup();
  }
});
