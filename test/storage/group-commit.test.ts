// The SQLite store acknowledges a write only after an fsync of its WAL, and writes that
// arrive together share one fsync. Also: a WAL torn in the middle of a write (what a power
// cut leaves) opens with every earlier commit and nothing half-written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/storage/sqlite.js';
import type { StoreEvent } from '../../src/storage/store.js';
import { WalSync } from '../../src/storage/wal-sync.js';

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-group-commit-'));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('WalSync', () => {
  test('a barrier asked for while an fsync runs waits for the next one; callers share fsyncs', async () => {
    const t = tempDir();
    try {
      const path = join(t.dir, 'x-wal');
      copyFileSync('/etc/hostname', path);
      const w = new WalSync(path);
      const order: string[] = [];
      const first = w.barrier().then(() => order.push('first'));
      // Asked for after the first fsync started: not covered by it.
      const second = w.barrier().then(() => order.push('second'));
      const third = w.barrier().then(() => order.push('third'));
      await Promise.all([first, second, third]);
      assert.deepEqual(order, ['first', 'second', 'third']);
      assert.equal(w.syncs, 2, 'the second and third barrier share one fsync');
      w.close();
    } finally {
      t[Symbol.dispose]();
    }
  });
});

describe('SqliteStore with fsync before acknowledgement', () => {
  test('concurrent writes share fsyncs; watchers see every event once, in revision order, only once acknowledged', async () => {
    const t = tempDir();
    const store = SqliteStore.open(join(t.dir, 'db.sqlite'), { compactEvery: 0 });
    try {
      const seen: StoreEvent[] = [];
      const w = store.watch('/registry/', 0, (ev) => seen.push(ev));
      const writes = Array.from({ length: 200 }, (_, i) => store.create(`/registry/gc/k${i}`, `{"i":${i}}`));
      // A watch opened while the writes wait for their fsync: what it replays and what it is
      // sent live must still add up to every event exactly once.
      const late: StoreEvent[] = [];
      const w2 = store.watch('/registry/', 0, (ev) => late.push(ev));
      const revs = await Promise.all(writes);
      await new Promise((r) => setImmediate(r));
      w.stop();
      w2.stop();
      assert.deepEqual(
        seen.map((e) => e.kv.modRevision),
        [...revs].sort((a, b) => a - b),
      );
      assert.deepEqual(
        late.map((e) => e.kv.modRevision),
        [...revs].sort((a, b) => a - b),
        'the second watcher sees every event once, in order',
      );
      const syncs = (store as unknown as { walSync: WalSync }).walSync.syncs;
      assert.ok(syncs >= 1 && syncs < 200, `200 concurrent creates took ${syncs} fsyncs`);
    } finally {
      await store.close();
      rmSync(t.dir, { recursive: true, force: true });
    }
  });

  test('fsyncBeforeAck: false makes no fsync', async () => {
    const t = tempDir();
    const store = SqliteStore.open(join(t.dir, 'db.sqlite'), { compactEvery: 0, fsyncBeforeAck: false });
    try {
      await store.create('/registry/x/a', '{}');
      assert.equal((store as unknown as { walSync?: WalSync }).walSync, undefined);
    } finally {
      await store.close();
      t[Symbol.dispose]();
    }
  });

  test('a WAL torn mid-frame opens with the commits before the tear, none after, none half-written', async () => {
    const t = tempDir();
    const path = join(t.dir, 'db.sqlite');
    const store = SqliteStore.open(path, { compactEvery: 0 });
    try {
      const value = (i: number) => JSON.stringify({ i, pad: 'p'.repeat(700 + (i % 13) * 50) });
      for (let i = 0; i < 100; i++) await store.create(`/registry/torn/k${String(i).padStart(4, '0')}`, value(i));
      // What the disk holds at this moment, as a power cut would leave it. 100 small commits
      // stay below SQLite's auto-checkpoint (1,000 pages), so every one is still in the WAL.
      const copy = join(t.dir, 'copy.sqlite');
      copyFileSync(path, copy);
      copyFileSync(`${path}-wal`, `${copy}-wal`);
      const walSize = statSync(`${copy}-wal`).size;
      // Cut the last write's frames in half, in the middle of a page.
      truncateSync(`${copy}-wal`, walSize - 6_000);
      const reopened = SqliteStore.open(copy, { compactEvery: 0 });
      try {
        const { items } = await reopened.list('/registry/torn/');
        assert.ok(items.length >= 80 && items.length < 100, `${items.length} keys survived the tear`);
        items.forEach((kv, i) => {
          assert.equal(kv.key, `/registry/torn/k${String(i).padStart(4, '0')}`, 'the survivors are exactly the first writes');
          assert.equal(kv.value, value(i));
        });
        // The reopened store writes on from its last revision: none is reused for different data.
        const rev = await reopened.create('/registry/torn/after', '{}');
        assert.equal(rev, items[items.length - 1]!.modRevision + 1);
      } finally {
        await reopened.close();
      }
    } finally {
      await store.close();
      t[Symbol.dispose]();
    }
  });
});
