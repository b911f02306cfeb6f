// Writes made in the same turn of the event loop share one SQLite transaction: a write that
// fails its own check fails alone, and what is acknowledged is exactly what a reopen finds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { StoreError, type StoreEvent } from '../../src/storage/store.js';
import type { WriteBatch } from '../../src/storage/sqlite-batch.js';

const commits = (s: SqliteStore) => (s as unknown as { batch: WriteBatch }).batch.commits;

function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'ok',
    (err) => (err instanceof StoreError ? err.code : `other: ${(err as Error).message}`),
  );
}

test('writes of one turn commit together; a create of an existing key and a stale update fail alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-batch-'));
  const path = join(dir, 'db.sqlite');
  try {
    const store = SqliteStore.open(path, { compactEvery: 0 });
    const existing = await store.create('/registry/b/existing', '{"v":0}');
    const seen: StoreEvent[] = [];
    const w = store.watch('/registry/', existing, (ev) => seen.push(ev));
    const before = commits(store);
    // All issued in this one synchronous stretch: one batch.
    const outcomes = [
      ...Array.from({ length: 20 }, (_, i) => codeOf(store.create(`/registry/b/k${i}`, `{"i":${i}}`))),
      codeOf(store.create('/registry/b/existing', '{"v":1}')),
      codeOf(store.update('/registry/b/existing', '{"v":2}', existing + 1000)),
      codeOf(store.delete('/registry/b/missing')),
      ...Array.from({ length: 20 }, (_, i) => codeOf(store.create(`/registry/b/m${i}`, `{"i":${i}}`))),
      codeOf(store.update('/registry/b/existing', '{"v":3}', existing)),
    ];
    const codes = await Promise.all(outcomes);
    assert.deepEqual(codes.slice(20, 23), ['KeyExists', 'Conflict', 'NotFound']);
    assert.ok(
      codes.every((c, i) => (i >= 20 && i < 23) || c === 'ok'),
      `every other write succeeds: ${codes.join(',')}`,
    );
    assert.equal(commits(store) - before, 1, 'the 41 successful writes were one transaction');
    await new Promise((r) => setImmediate(r));
    w.stop();
    // Failed writes take no revision: the successful ones are consecutive, in the order made.
    assert.deepEqual(
      seen.map((e) => e.kv.modRevision),
      Array.from({ length: 41 }, (_, i) => existing + 1 + i),
    );
    assert.equal(seen.at(-1)!.kv.value, '{"v":3}');
    await store.close();

    const reopened = SqliteStore.open(path, { compactEvery: 0 });
    try {
      assert.equal((await reopened.list('/registry/b/')).items.length, 41);
      assert.equal((await reopened.get('/registry/b/existing'))!.value, '{"v":3}');
      assert.equal(await reopened.currentRevision(), existing + 41);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that hits a full database fails without acknowledging writes it did not keep', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-batch-full-'));
  const path = join(dir, 'db.sqlite');
  try {
    const store = SqliteStore.open(path, { compactEvery: 0 });
    await store.create('/registry/f/first', '{}');
    // The store's own connection, capped a few pages above its size: SQLITE_FULL soon, on
    // which SQLite abandons the whole transaction, so the batch's earlier writes fail too.
    const db = (store as unknown as { db: Database.Database }).db;
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages + 12}`);
    const big = JSON.stringify({ pad: 'x'.repeat(3000) });
    const outcomes = Array.from({ length: 30 }, (_, i) => codeOf(store.create(`/registry/f/k${String(i).padStart(2, '0')}`, big)));
    const codes = await Promise.all(outcomes);
    assert.ok(codes.includes('Unavailable') && codes.includes('ok'), `some writes fit, then the database filled up: ${codes.join(',')}`);
    const acked = codes.flatMap((c, i) => (c === 'ok' ? [`/registry/f/k${String(i).padStart(2, '0')}`] : []));
    await store.close();

    const reopened = SqliteStore.open(path, { compactEvery: 0 });
    try {
      const keys = (await reopened.list('/registry/f/k')).items.map((kv) => kv.key);
      assert.deepEqual(keys, acked, 'exactly the acknowledged writes are stored');
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
