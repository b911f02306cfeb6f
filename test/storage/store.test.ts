// One behavioural suite, run against every backend: they must be interchangeable.
import { test, describe, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/storage/memory.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { EtcdStore } from '../../src/storage/etcd.js';
import { etcdBinary, startEtcd } from '../helpers/etcd.js';
import { StoreError, type Store, type StoreEvent } from '../../src/storage/store.js';

interface Backend {
  name: string;
  /** The revision of an empty store (etcd starts at 1). */
  initialRevision: number;
  /** Why the backend cannot run here, if it cannot. */
  skip?: string;
  open(): Promise<{ store: Store; cleanup(): void | Promise<void> }>;
  /** Time for a watch's replay to arrive; in-process stores need one turn of the event loop. */
  settleMs?: number;
}

const backends: Backend[] = [
  { name: 'memory', initialRevision: 0, open: async () => ({ store: new MemoryStore(), cleanup: () => {} }) },
  {
    name: 'sqlite',
    initialRevision: 0,
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
      const store = SqliteStore.open(join(dir, 'db.sqlite'), { compactEvery: 0 });
      return { store, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    // A fresh etcd per test: revisions and compaction are global to an etcd.
    name: 'etcd',
    initialRevision: 1,
    skip: etcdBinary() ? undefined : 'needs the etcd binary (Debian etcd-server)',
    // A replay comes over a gRPC stream from another process: allow it a round trip or three.
    settleMs: 300,
    open: async () => {
      const etcd = await startEtcd();
      try {
        const store = await EtcdStore.connect({ endpoints: [etcd.endpoint] });
        return { store, cleanup: () => etcd.stop() };
      } catch (err) {
        await etcd.stop();
        throw err;
      }
    },
  },
];

function isStoreError(code: StoreError['code']) {
  return (err: unknown) => err instanceof StoreError && err.code === code;
}

/** Lets queued microtasks (watch replay) and the event loop run; a networked backend gets time for a round trip. */
let settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function recorder() {
  const events: StoreEvent[] = [];
  const errors: Error[] = [];
  return { events, errors, onEvent: (ev: StoreEvent) => events.push(ev), onError: (err: Error) => errors.push(err) };
}

async function withStore(b: Backend, fn: (s: Store) => Promise<void>): Promise<void> {
  const { store, cleanup } = await b.open();
  try {
    await fn(store);
  } finally {
    await store.close();
    await cleanup();
  }
}

for (const b of backends) {
  describe(`store: ${b.name}`, { skip: b.skip }, () => {
    const inProcessSettle = settle;
    beforeEach(() => {
      settle = b.settleMs ? () => new Promise<void>((resolve) => setTimeout(resolve, b.settleMs)) : inProcessSettle;
    });
    test('create and get', () =>
      withStore(b, async (s) => {
        const base = b.initialRevision;
        assert.equal(await s.currentRevision(), base);
        assert.equal(await s.get('/registry/a'), null);
        const r1 = await s.create('/registry/a', '{"a":1}');
        assert.equal(r1, base + 1);
        assert.deepEqual(await s.get('/registry/a'), { key: '/registry/a', value: '{"a":1}', createRevision: r1, modRevision: r1 });
        await assert.rejects(s.create('/registry/a', '{}'), isStoreError('KeyExists'));
        const r2 = await s.create('/registry/b', '{}');
        assert.equal(r2, base + 2);
        assert.equal(await s.currentRevision(), base + 2);
      }));

    test('update with revision guard', () =>
      withStore(b, async (s) => {
        const r1 = await s.create('/k', 'v1');
        await s.create('/other', 'x');
        const r2 = await s.update('/k', 'v2', r1);
        assert.ok(r2 > r1);
        assert.deepEqual(await s.get('/k'), { key: '/k', value: 'v2', createRevision: r1, modRevision: r2 });
        await assert.rejects(s.update('/k', 'v3', r1), (err: unknown) => {
          assert.ok(err instanceof StoreError);
          assert.equal(err.code, 'Conflict');
          assert.deepEqual(err.current, { key: '/k', value: 'v2', createRevision: r1, modRevision: r2 });
          return true;
        });
        await assert.rejects(s.update('/missing', 'v', 1), isStoreError('NotFound'));
        // A failed write must not consume a revision.
        assert.equal(await s.currentRevision(), r2);
      }));

    test('delete with and without revision guard', () =>
      withStore(b, async (s) => {
        const r1 = await s.create('/k', 'v1');
        await assert.rejects(s.delete('/k', r1 + 5), (err: unknown) => err instanceof StoreError && err.code === 'Conflict' && err.current?.value === 'v1');
        const del = await s.delete('/k', r1);
        assert.equal(del.revision, r1 + 1);
        assert.deepEqual(del.prev, { key: '/k', value: 'v1', createRevision: r1, modRevision: r1 });
        assert.equal(await s.get('/k'), null);
        await assert.rejects(s.delete('/k'), isStoreError('NotFound'));
        await assert.rejects(s.update('/k', 'x', del.revision), isStoreError('NotFound'));
        // Re-creating starts a new life for the key.
        const r3 = await s.create('/k', 'v3');
        assert.deepEqual(await s.get('/k'), { key: '/k', value: 'v3', createRevision: r3, modRevision: r3 });
        const del2 = await s.delete('/k');
        assert.equal(del2.prev.value, 'v3');
      }));

    test('list by prefix with paging', () =>
      withStore(b, async (s) => {
        const names = Array.from({ length: 25 }, (_, i) => `/registry/pods/ns/p${String(i).padStart(2, '0')}`);
        for (const n of [...names].reverse()) await s.create(n, JSON.stringify({ n }));
        await s.create('/registry/pods2/x', '{}');
        await s.create('/registry/pod', '{}');
        await s.create('/registry/a', '{}');
        const rev = await s.currentRevision();

        const all = await s.list('/registry/pods/');
        assert.deepEqual(
          all.items.map((kv) => kv.key),
          names,
        );
        assert.equal(all.revision, rev);
        assert.equal(all.more, false);
        assert.equal(await s.count('/registry/pods/'), 25);
        assert.equal(await s.count('/registry/'), 28);
        assert.equal(await s.count(''), 28);
        assert.equal((await s.list('')).items.length, 28);

        const seen: string[] = [];
        let startAfter: string | undefined;
        const pages: Array<[number, boolean, number | undefined]> = [];
        for (;;) {
          const page = await s.list('/registry/pods/', { limit: 10, startAfter });
          seen.push(...page.items.map((kv) => kv.key));
          pages.push([page.items.length, page.more, page.remaining]);
          if (!page.more) break;
          startAfter = page.items.at(-1)!.key;
        }
        assert.deepEqual(seen, names);
        assert.deepEqual(pages, [
          [10, true, 15],
          [10, true, 5],
          [5, false, 0],
        ]);
        // An exact fit leaves nothing after the page.
        const exact = await s.list('/registry/pods/', { limit: 25 });
        assert.equal(exact.more, false);
        assert.equal(exact.remaining, 0);
        // startAfter before the prefix starts at the prefix.
        const early = await s.list('/registry/pods/', { limit: 1, startAfter: '/registry/a' });
        assert.equal(early.items[0]!.key, names[0]);
        assert.deepEqual((await s.list('/registry/pods/', { startAfter: names[24] })).items, []);
        assert.deepEqual((await s.list('/nothing/')).items, []);
      }));

    test('list at a past revision', () =>
      withStore(b, async (s) => {
        const ra = await s.create('/r/a', 'a1');
        const rb = await s.create('/r/b', 'b1');
        await s.create('/r/c', 'c1');
        const snapshot = await s.currentRevision();
        await s.update('/r/a', 'a2', ra);
        await s.delete('/r/b', rb);
        await s.create('/r/d', 'd1');
        await s.delete('/r/c');
        await s.create('/r/c', 'c2');

        const now = await s.list('/r/');
        assert.deepEqual(
          now.items.map((kv) => [kv.key, kv.value]),
          [
            ['/r/a', 'a2'],
            ['/r/c', 'c2'],
            ['/r/d', 'd1'],
          ],
        );
        // A revision not yet written reads as the newest state.
        assert.deepEqual((await s.list('/r/', { revision: now.revision + 100 })).items, now.items);
        const past = await s.list('/r/', { revision: snapshot });
        assert.equal(past.revision, snapshot);
        assert.deepEqual(past.items, [
          { key: '/r/a', value: 'a1', createRevision: ra, modRevision: ra },
          { key: '/r/b', value: 'b1', createRevision: rb, modRevision: rb },
          { key: '/r/c', value: 'c1', createRevision: snapshot, modRevision: snapshot },
        ]);
        const page1 = await s.list('/r/', { revision: snapshot, limit: 2 });
        assert.deepEqual(
          page1.items.map((kv) => kv.key),
          ['/r/a', '/r/b'],
        );
        assert.equal(page1.more, true);
        assert.equal(page1.remaining, 1);
        const page2 = await s.list('/r/', { revision: snapshot, limit: 2, startAfter: '/r/b' });
        assert.deepEqual(
          page2.items.map((kv) => kv.value),
          ['c1'],
        );
        assert.equal(page2.more, false);
        // Before anything was written under the prefix.
        assert.deepEqual(
          (await s.list('/r/', { revision: ra })).items.map((kv) => kv.key),
          ['/r/a'],
        );
      }));

    test('watch replays history, then follows live writes, then stops', () =>
      withStore(b, async (s) => {
        const r1 = await s.create('/w/a', 'a1');
        await s.create('/x/ignored', 'x');
        const r3 = await s.update('/w/a', 'a2', r1);
        const rb = await s.create('/w/b', 'b1');
        const rec = recorder();
        const w = s.watch('/w/', r1, rec.onEvent, rec.onError);
        assert.equal(rec.events.length, 0, 'replay is delivered after watch() returns');
        await settle();
        assert.deepEqual(rec.events, [
          {
            type: 'put',
            kv: { key: '/w/a', value: 'a2', createRevision: r1, modRevision: r3 },
            prevKv: { key: '/w/a', value: 'a1', createRevision: r1, modRevision: r1 },
            created: false,
          },
          { type: 'put', kv: { key: '/w/b', value: 'b1', createRevision: rb, modRevision: rb }, created: true },
        ]);

        const rd = (await s.delete('/w/b', rb)).revision;
        // Live events arrive before the write's promise resolves.
        assert.deepEqual(rec.events.at(-1), {
          type: 'delete',
          kv: { key: '/w/b', value: 'b1', createRevision: rb, modRevision: rd },
          prevKv: { key: '/w/b', value: 'b1', createRevision: rb, modRevision: rb },
          created: false,
        });
        await s.create('/x/also-ignored', 'x');
        const rc = await s.create('/w/c', 'c1');
        assert.equal(rec.events.length, 4);
        assert.equal(rec.events.at(-1)!.kv.modRevision, rc);
        const revs = rec.events.map((e) => e.kv.modRevision);
        assert.deepEqual(
          revs,
          [...revs].sort((x, y) => x - y),
        );

        w.stop();
        await s.create('/w/d', 'd1');
        await settle();
        assert.equal(rec.events.length, 4);
        assert.deepEqual(rec.errors, []);
      }));

    test('watch replay of a deletion carries the deleted value', () =>
      withStore(b, async (s) => {
        const r1 = await s.create('/w/a', 'a1');
        const rd = (await s.delete('/w/a')).revision;
        const rec = recorder();
        s.watch('/w/', 0, rec.onEvent);
        await settle();
        assert.deepEqual(
          rec.events.map((e) => [e.type, e.kv.modRevision, e.kv.value, e.created, e.prevKv?.modRevision]),
          [
            ['put', r1, 'a1', true, undefined],
            ['delete', rd, 'a1', false, r1],
          ],
        );
      }));

    test('writes made before the replay is delivered follow it in order', () =>
      withStore(b, async (s) => {
        const r1 = await s.create('/w/a', 'a1');
        const rec = recorder();
        s.watch('/w/', 0, rec.onEvent);
        const r2 = await s.create('/w/b', 'b1');
        await settle();
        assert.deepEqual(
          rec.events.map((e) => e.kv.modRevision),
          [r1, r2],
        );
      }));

    test('watch from a future revision skips events up to it', () =>
      withStore(b, async (s) => {
        const r1 = await s.create('/w/a', 'a1');
        const rec = recorder();
        s.watch('/w/', r1 + 2, rec.onEvent);
        await s.create('/w/b', '2');
        await s.create('/w/c', '3');
        const r4 = await s.create('/w/d', '4');
        await settle();
        assert.deepEqual(
          rec.events.map((e) => e.kv.modRevision),
          [r4],
        );
      }));

    test('a watcher that throws is ended without failing the write', () =>
      withStore(b, async (s) => {
        const errors: Error[] = [];
        const good = recorder();
        s.watch(
          '/w/',
          0,
          () => {
            throw new Error('boom');
          },
          (err) => errors.push(err),
        );
        s.watch('/w/', 0, good.onEvent);
        await s.create('/w/a', '1');
        await s.create('/w/b', '2');
        assert.equal(errors.length, 1);
        assert.equal(errors[0]!.message, 'boom');
        assert.equal(good.events.length, 2);
      }));

    test('compaction drops history and refuses older revisions', () =>
      withStore(b, async (s) => {
        const ra = await s.create('/c/a', 'a1');
        const rb = await s.create('/c/b', 'b1');
        const ra2 = await s.update('/c/a', 'a2', ra);
        await s.delete('/c/b', rb);
        const rc = await s.create('/c/c', 'c1');
        const target = await s.currentRevision();
        const ra3 = await s.update('/c/a', 'a3', ra2);
        const rd = (await s.delete('/c/c', rc)).revision;
        await s.compact(target);
        assert.equal(await s.compactedRevision(), target);

        await assert.rejects(s.list('/c/', { revision: target - 1 }), isStoreError('Compacted'));
        assert.throws(() => s.watch('/c/', target - 1, () => {}), isStoreError('Compacted'));
        const at = await s.list('/c/', { revision: target });
        assert.deepEqual(
          at.items.map((kv) => [kv.key, kv.value]),
          [
            ['/c/a', 'a2'],
            ['/c/c', 'c1'],
          ],
        );
        assert.deepEqual(
          (await s.list('/c/')).items.map((kv) => [kv.key, kv.value]),
          [['/c/a', 'a3']],
        );
        assert.equal(await s.count('/c/'), 1);

        const rec = recorder();
        s.watch('/c/', target, rec.onEvent);
        await settle();
        assert.deepEqual(
          rec.events.map((e) => [e.type, e.kv.modRevision, e.kv.value, e.prevKv?.value]),
          [
            ['put', ra3, 'a3', 'a2'],
            ['delete', rd, 'c1', 'c1'],
          ],
        );
        // Compacting to an older revision changes nothing.
        await s.compact(1);
        assert.equal(await s.compactedRevision(), target);
        // Everything can be compacted; the current state stays.
        await s.compact(await s.currentRevision());
        assert.deepEqual(
          (await s.list('/c/')).items.map((kv) => kv.value),
          ['a3'],
        );
        assert.equal((await s.get('/c/a'))!.modRevision, ra3);
        assert.equal(await s.update('/c/a', 'a4', ra3), rd + 1);
      }));

    test('close ends watchers and refuses further calls', async () => {
      const { store: s, cleanup } = await b.open();
      try {
        const rec = recorder();
        s.watch('/', 0, rec.onEvent, rec.onError);
        await s.close();
        assert.equal(rec.errors.length, 1);
        assert.ok(isStoreError('Unavailable')(rec.errors[0]));
        await assert.rejects(s.get('/a'), isStoreError('Unavailable'));
        await s.close();
      } finally {
        await cleanup();
      }
    });
  });
}

describe('store: sqlite only', () => {
  test('data and revisions survive close and reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
    const path = join(dir, 'db.sqlite');
    try {
      let s = SqliteStore.open(path, { compactEvery: 0 });
      const r1 = await s.create('/p/a', 'a1');
      await s.create('/p/b', 'b1');
      const last = (await s.delete('/p/b')).revision;
      await s.compact(last);
      await s.close();

      s = SqliteStore.open(path, { compactEvery: 0 });
      assert.equal(await s.currentRevision(), last, 'the deleted and compacted newest row still counts');
      assert.equal(await s.compactedRevision(), last);
      assert.deepEqual(await s.get('/p/a'), { key: '/p/a', value: 'a1', createRevision: r1, modRevision: r1 });
      assert.equal(await s.get('/p/b'), null);
      const r4 = await s.create('/p/c', 'c1');
      assert.equal(r4, last + 1);
      await s.close();

      s = SqliteStore.open(path, { compactEvery: 0 });
      assert.equal(await s.currentRevision(), r4);
      assert.deepEqual(
        (await s.list('/p/')).items.map((kv) => kv.key),
        ['/p/a', '/p/c'],
      );
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('automatic compaction keeps the configured number of revisions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
    try {
      const s = SqliteStore.open(join(dir, 'db.sqlite'), { compactEvery: 10, retainRevisions: 5 });
      let rev = await s.create('/a', '0');
      for (let i = 1; i < 20; i++) rev = await s.update('/a', String(i), rev);
      const deadline = Date.now() + 5000;
      // Writes wait for their fsync, so the timer may have compacted part-way already: wait for the final target.
      while ((await s.compactedRevision()) !== rev - 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await s.compactedRevision(), rev - 5);
      assert.equal((await s.get('/a'))!.value, '19');
      await s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('compaction in many steps matches compaction in one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
    try {
      // 45,000 writes one after another: durability is not what this test is about.
      const s = SqliteStore.open(join(dir, 'db.sqlite'), { compactEvery: 0, fsyncBeforeAck: false });
      const mem = new MemoryStore();
      // Enough revisions to need more than one compaction step, with keys that churn.
      for (let i = 0; i < 45_000; i++) {
        const key = `/s/k${i % 97}`;
        for (const st of [s, mem] as Store[]) {
          const cur = await st.get(key);
          if (!cur) await st.create(key, String(i));
          else if (i % 7 === 0) await st.delete(key, cur.modRevision);
          else await st.update(key, String(i), cur.modRevision);
        }
      }
      const target = (await s.currentRevision()) - 100;
      await Promise.all([s.compact(target - 30_000), s.compact(target), mem.compact(target)]);
      assert.equal(await s.compactedRevision(), target);
      assert.deepEqual(await s.list('/s/', { revision: target }), await mem.list('/s/', { revision: target }));
      assert.deepEqual(await s.list('/s/'), await mem.list('/s/'));
      const fromS = recorder();
      const fromMem = recorder();
      s.watch('/s/', target, fromS.onEvent);
      mem.watch('/s/', target, fromMem.onEvent);
      await settle();
      assert.equal(fromS.events.length, 100);
      assert.deepEqual(fromS.events, fromMem.events);
      await s.close();
      await mem.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
