// When the store ends the cache's watch, the cache tells its watchers, reloads, and
// follows the store again (with etcd the watch can end; with the embedded stores it ends
// when the cache cannot take a value).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatchCache, type CachedEvent } from '../../src/apiserver/watch-cache.js';
import { MemoryStore } from '../../src/storage/memory.js';

const CM = '/registry/configmaps/';
const cm = (name: string, v: string) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data: { v } });

async function eventually(what: string, fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a cache whose store watch ended ends its watchers, reloads once it can, and follows the store again', async () => {
  const store = new MemoryStore();
  const cache = new WatchCache(store);
  try {
    await store.create(`${CM}ns/a`, cm('a', '1'));
    await store.create(`${CM}ns/gone`, cm('gone', '1'));
    await cache.start();
    const seen: CachedEvent[] = [];
    let ended: Error | undefined;
    cache.watch(CM, cache.revision, { deliver: (ev) => seen.push(ev), terminate: (err) => (ended = err) });
    assert.equal(cache.watcherCount(), 1);

    // A value the cache cannot decode: the store ends the cache's watch with the error.
    await store.create(`${CM}ns/bad`, 'not json');
    assert.ok(ended, 'the watcher was ended');
    assert.equal(cache.watcherCount(), 0);
    // While the bad value is stored, reloading fails and is retried; the cache keeps what it had.
    const aRev = (await store.get(`${CM}ns/a`))!.modRevision;
    const aNow = await store.update(`${CM}ns/a`, cm('a', '2'), aRev);
    await store.delete(`${CM}ns/gone`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(cache.get(`${CM}ns/a`)?.data?.v, '1');

    await store.delete(`${CM}ns/bad`);
    // The next attempt loads the store as it is now.
    await eventually('the cache reloads', () => cache.get(`${CM}ns/a`)?.data?.v === '2');
    assert.equal(cache.get(`${CM}ns/gone`), undefined);
    assert.equal(cache.get(`${CM}ns/bad`), undefined);
    assert.ok(cache.revision > aNow);
    assert.deepEqual(cache.list(CM, `${CM}ns/`).keys, [`${CM}ns/a`]);

    // It follows the store again: new watchers get new writes, consistent reads work.
    const after: CachedEvent[] = [];
    cache.watch(CM, cache.revision, { deliver: (ev) => after.push(ev), terminate: () => {} });
    const rb = await store.create(`${CM}ns/b`, cm('b', '1'));
    assert.deepEqual(
      after.map((e) => [e.key, e.revision]),
      [[`${CM}ns/b`, rb]],
    );
    await cache.sync();
    assert.equal(cache.get(`${CM}ns/b`)?.metadata?.resourceVersion, String(rb));
    // A watcher from before the reload is no longer served from the window.
    assert.equal(cache.watch(CM, aRev, { deliver: () => {}, terminate: () => {} }), false);
  } finally {
    cache.stop();
    await store.close();
  }
});
