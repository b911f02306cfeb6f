// The background checkpointer copies the WAL into the database file only once the WAL has
// grown by about SQLite's own threshold: a few small writes (lease renewals on an idle
// server) stay in the WAL, so that no commit has to restart it and sync its header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/storage/sqlite.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a few small writes stay in the WAL; a thousand pages of them are checkpointed into the database file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-checkpointer-'));
  const path = join(dir, 'state.db');
  const store = SqliteStore.open(path, { compactEvery: 0, backgroundCheckpointMs: 20 });
  const inMainFile = (marker: string) => readFileSync(path).includes(marker);
  try {
    for (let i = 0; i < 10; i++) await store.create(`/registry/leases/small-${i}`, `small-marker-${i}`);
    // Many checkpointer ticks later.
    await sleep(400);
    assert.equal(inMainFile('small-marker-0'), false, 'ten small writes were checkpointed');

    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 200; i++) await store.create(`/registry/configmaps/big-${i}`, `big-marker-${i}${big}`);
    const until = Date.now() + 5000;
    while (!inMainFile('small-marker-0') && Date.now() < until) await sleep(50);
    assert.ok(inMainFile('small-marker-0'), 'the WAL was not checkpointed after 200 writes of 16 KiB');
    assert.ok(inMainFile('big-marker-0'));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
