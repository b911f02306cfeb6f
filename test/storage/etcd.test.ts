// What only the etcd backend has: endpoints, other clients sharing the same etcd (another
// server's writes and compactions), and watches that etcd itself cancels.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { EtcdStore, parseEtcdEndpoints } from '../../src/storage/etcd.js';
import { openStore } from '../../src/storage/open.js';
import { StoreError, type StoreEvent } from '../../src/storage/store.js';
import { etcdBinary, startEtcd, type RunningEtcd } from '../helpers/etcd.js';

describe('etcd endpoints', () => {
  test('comma-separated URLs are parsed and checked', () => {
    assert.deepEqual(parseEtcdEndpoints('http://127.0.0.1:2379'), ['http://127.0.0.1:2379']);
    assert.deepEqual(parseEtcdEndpoints('http://h1:2379, https://h2:2379/'), ['http://h1:2379', 'https://h2:2379']);
    assert.throws(() => parseEtcdEndpoints('h1:2379'), /invalid etcd endpoint "h1:2379"/);
    assert.throws(() => parseEtcdEndpoints('unix:///run/etcd.sock'), /only http:\/\/ and https:\/\//);
    assert.throws(() => parseEtcdEndpoints('http://h1'), /the port is required/);
    assert.throws(() => parseEtcdEndpoints('http://h1:2379/registry'), /a path is not allowed/);
    assert.throws(() => parseEtcdEndpoints(' , '), /no etcd endpoint/);
  });

  test('an unreachable etcd fails at open, naming the endpoint', async () => {
    // A port that was just free on loopback: nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const started = Date.now();
    await assert.rejects(EtcdStore.connect({ endpoints: [`http://127.0.0.1:${port}`], callTimeoutMs: 2000 }), (err: Error) =>
      err.message.includes(`etcd at http://127.0.0.1:${port} is not reachable`),
    );
    assert.ok(Date.now() - started < 15_000, 'gives up within its deadline');
    await assert.rejects(openStore('/nonexistent', 'etcd://x'), /unsupported --datastore-endpoint "etcd:\/\/x"/);
  });
});

describe('etcd shared by several clients', { skip: etcdBinary() ? undefined : 'needs the etcd binary (Debian etcd-server)' }, () => {
  let etcd: RunningEtcd;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });

  test('open.ts opens etcd from --datastore-endpoint, with a dead endpoint beside a live one', async () => {
    // 127.0.0.1:1 is loopback's tcpmux port: nothing listens there, the client moves on.
    const s = await openStore('/nonexistent', `http://127.0.0.1:1,${etcd.endpoint}`);
    try {
      const rev = await s.create('/open/a', 'x');
      assert.equal((await s.get('/open/a'))?.modRevision, rev);
    } finally {
      await s.close();
    }
  });

  test("one client's writes reach another's watch; guards see the other's writes", async () => {
    const a = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    const b = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    try {
      const events: StoreEvent[] = [];
      const from = await b.currentRevision();
      b.watch('/shared/', from, (ev) => events.push(ev));
      const r1 = await a.create('/shared/x', 'v1');
      await assert.rejects(b.create('/shared/x', 'other'), (e: unknown) => e instanceof StoreError && e.code === 'KeyExists');
      const r2 = await b.update('/shared/x', 'v2', r1);
      await assert.rejects(a.update('/shared/x', 'v3', r1), (e: unknown) => e instanceof StoreError && e.code === 'Conflict' && e.current?.modRevision === r2);
      // b's own write is in b's watch when it returns; a's arrived before it, in order.
      assert.deepEqual(
        events.map((e) => [e.type, e.kv.modRevision, e.kv.value, e.created]),
        [
          ['put', r1, 'v1', true],
          ['put', r2, 'v2', false],
        ],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('etcd killed and restarted: calls fail meanwhile with Unavailable, then work again; a watch resumes without loss', { timeout: 60_000 }, async () => {
    const s = await EtcdStore.connect({ endpoints: [etcd.endpoint], callTimeoutMs: 2000 });
    try {
      const events: StoreEvent[] = [];
      const errors: Error[] = [];
      const r1 = await s.create('/restart/a', '1');
      s.watch(
        '/restart/',
        r1 - 1,
        (ev) => events.push(ev),
        (err) => errors.push(err),
      );
      const other = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
      // The restart is of the whole etcd; writes from before it were persisted.
      const restarting = etcd.restart(1000);
      await new Promise((r) => setTimeout(r, 300));
      await assert.rejects(s.get('/restart/a'), (e: unknown) => e instanceof StoreError && e.code === 'Unavailable' && e.message.includes(etcd.endpoint));
      await restarting;
      const deadline = Date.now() + 30_000;
      let r2 = 0;
      while (!r2 && Date.now() < deadline) {
        r2 = await other.create('/restart/b', '2').catch(() => 0);
        if (!r2) await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(r2 > r1, 'writes work again');
      await other.close();
      while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        events.map((e) => [e.kv.key, e.kv.modRevision]),
        [
          ['/restart/a', r1],
          ['/restart/b', r2],
        ],
      );
      assert.deepEqual(errors, []);
      assert.equal((await s.get('/restart/b'))?.value, '2');
    } finally {
      await s.close();
    }
  });

  test("another client's compaction is found, and a watch from before it ends as Compacted", async () => {
    const a = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    const b = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    // Connected before the compaction, c has no idea of it until etcd says so.
    const c = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
    try {
      const start = await a.currentRevision();
      let rev = await a.create('/comp/k', '0');
      for (let i = 1; i < 40; i++) rev = await a.update('/comp/k', String(i), rev);
      const target = rev - 5;
      const before = await b.compactedRevision();
      assert.ok(before < start);
      await a.compact(target);
      // b never compacted: it has to discover a's compaction from etcd.
      assert.equal(await b.compactedRevision(), target);
      await assert.rejects(b.list('/comp/', { revision: target - 1 }), (e: unknown) => e instanceof StoreError && e.code === 'Compacted');
      assert.equal((await b.list('/comp/', { revision: target })).items[0]?.value, String(39 - 5));
      // b already knows: it refuses at once. A third client learns it from etcd's cancellation.
      assert.throws(
        () => b.watch('/comp/', start, () => {}),
        (e: unknown) => e instanceof StoreError && e.code === 'Compacted',
      );
      {
        const err = await new Promise<Error>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no error within 10 s')), 10_000);
          const events: StoreEvent[] = [];
          try {
            c.watch(
              '/comp/',
              start,
              (ev) => events.push(ev),
              (e) => {
                clearTimeout(timer);
                resolve(e);
              },
            );
          } catch (e) {
            clearTimeout(timer);
            resolve(e as Error);
          }
        });
        assert.ok(err instanceof StoreError && err.code === 'Compacted', `got ${err}`);
        // Compacting to an older revision, or one another client already passed, is a no-op.
        await b.compact(target - 10);
        await b.compact(target);
        assert.equal(await b.compactedRevision(), target);
      }
    } finally {
      await a.close();
      await b.close();
      await c.close();
    }
  });
});
