// A watch from a compacted revision answers 410 Expired, and Skiff's informer, cut off
// while history was compacted, re-lists and converges (adds and deletes it missed).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { SharedInformer } from '../../src/client/informer.js';
import { resources } from '../../src/client/resources.js';
import { rawClient } from '../helpers/raw.js';
import { startServer } from '../helpers/server.js';
import { etcdBinary, startEtcd } from '../helpers/etcd.js';

/** A loopback TCP relay the test can cut, to sever a client from the server at will. */
function relay(targetPort: number) {
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return {
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as net.AddressInfo).port))),
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    resume() {
      open = true;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const backend of ['sqlite', 'etcd'] as const) {
  test(`watch from a compacted revision → 410 Expired; the informer re-lists (${backend})`, {
    skip: backend === 'etcd' && !etcdBinary() ? 'needs the etcd binary (Debian etcd-server)' : undefined,
  }, async () => {
    const etcd = backend === 'etcd' ? await startEtcd() : undefined;
    const s = await startServer({ args: ['--etcd-compaction-interval', '500ms', ...(etcd ? ['--datastore-endpoint', etcd.endpoint] : [])] }).catch(
      async (err) => {
        await etcd?.stop();
        throw err;
      },
    );
    const raw = rawClient(s.kubeconfig);
    const r = relay(s.port);
    const relayPort = await r.listen();
    const informerClient = new Client(new HttpsTransport({ ...loadKubeconfig(s.kubeconfig).options, server: `https://127.0.0.1:${relayPort}` }));
    const writer = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
    const informer = new SharedInformer(informerClient.resource(resources.configMaps), { namespace: 'quiet', backoff: { initialMs: 200, maxMs: 1000 } });
    try {
      await writer.namespaces.create({ metadata: { name: 'quiet' } });
      await writer.configMaps.create({ metadata: { name: 'q1', namespace: 'quiet' } });
      const events: string[] = [];
      // The root-CA publisher's kube-root-ca.crt comes and goes on its own schedule: not this test's object.
      const mine = (o: { metadata?: { name?: string } }) => o.metadata!.name !== 'kube-root-ca.crt';
      informer.addEventHandler({
        onAdd: (o) => mine(o) && events.push(`add:${o.metadata!.name}`),
        onDelete: (o) => mine(o) && events.push(`delete:${o.metadata!.name}`),
      });
      informer.start();
      await informer.waitForSync();
      const seenRV = informer.lastSyncResourceVersion()!;
      assert.deepEqual(events, ['add:q1']);

      r.cut();
      await writer.configMaps.delete('q1', { namespace: 'quiet' });
      await writer.configMaps.create({ metadata: { name: 'q2', namespace: 'quiet' } });
      for (let i = 0; i < 20; i++) await writer.configMaps.create({ metadata: { name: `noise-${i}`, namespace: 'default' } });

      // Once the history after seenRV is compacted, a raw watch from it is answered with a 410 event.
      let expired: any;
      await waitFor(async () => {
        const res = await raw.request('GET', `/api/v1/namespaces/quiet/configmaps?watch=1&resourceVersion=${seenRV}&timeoutSeconds=1`);
        const first = res.body
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))[0];
        if (first?.type === 'ERROR') expired = first.object;
        return first?.type === 'ERROR';
      });
      assert.equal(expired.code, 410);
      assert.equal(expired.reason, 'Expired');
      assert.match(expired.message, /too old resource version/);

      r.resume();
      await waitFor(() => events.includes('delete:q1') && events.includes('add:q2'));
      assert.deepEqual(
        informer.store
          .list()
          .filter(mine)
          .map((o) => o.metadata!.name)
          .sort(),
        ['q2'],
      );
    } finally {
      informer.stop();
      informerClient.close();
      writer.close();
      raw.close();
      await r.close();
      await s.cleanup();
      await etcd?.stop();
    }
  });
}
