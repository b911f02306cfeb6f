// The store timing wrapper: every backend call lands in etcd_request_duration_seconds with
// its operation and resource, on SQLite and in memory alike, and results and errors pass
// through unchanged.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { InstrumentedStore, keyType } from '../../src/storage/instrumented-store.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { StoreError, type Store } from '../../src/storage/store.js';
import { parsePrometheusText, total } from '../helpers/prom-text.js';

test('keyType names the resource of a key', () => {
  assert.equal(keyType('/registry/pods/default/a'), 'pods');
  assert.equal(keyType('/registry/deployments/'), 'deployments');
  assert.equal(keyType('/registry/example.com/widgets/ns/w'), 'widgets.example.com');
});

for (const [backend, open] of [
  ['memory', () => ({ store: new MemoryStore() as Store, done: () => {} })],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-instr-'));
      return { store: SqliteStore.open(join(dir, 'state.db')) as Store, done: () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
] as const) {
  test(`${backend}: each call is timed by operation and type; results and errors unchanged`, async () => {
    const { store: inner, done } = open();
    const registry = new Registry();
    const store = new InstrumentedStore(inner, registry);
    try {
      const rev = await store.create('/registry/pods/default/a', '{"a":1}');
      assert.equal((await store.get('/registry/pods/default/a'))?.modRevision, rev);
      await store.update('/registry/pods/default/a', '{"a":2}', rev);
      assert.equal((await store.list('/registry/pods/')).items.length, 1);
      assert.equal(await store.count('/registry/pods/'), 1);
      await assert.rejects(store.create('/registry/pods/default/a', '{}'), (e: unknown) => e instanceof StoreError && e.code === 'KeyExists');
      await store.delete('/registry/pods/default/a');
      const m = parsePrometheusText(await registry.metrics());
      const n = (operation: string) => total(m, 'etcd_request_duration_seconds_count', { operation, type: 'pods' });
      assert.deepEqual(
        ['get', 'list', 'count', 'create', 'update', 'delete'].map((op) => [op, n(op)]),
        [
          ['get', 1],
          ['list', 1],
          ['count', 1],
          ['create', 2],
          ['update', 1],
          ['delete', 1],
        ],
      );
    } finally {
      await store.close();
      done();
    }
  });
}
