// A list sent in pieces is byte-for-byte the list sent whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listJson, listJsonChunks } from '../../src/apiserver/json-cache.js';

test('listJsonChunks joins to exactly listJson, for empty, small and multi-batch lists', () => {
  const head = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '5', continue: 'x' } };
  for (const n of [0, 1, 499, 500, 501, 1234]) {
    const items = Array.from({ length: n }, (_, i) => Object.freeze({ metadata: Object.freeze({ name: `p${i}` }), n: i }));
    const whole = listJson(head, items);
    assert.equal(listJsonChunks(head, items).join(''), whole);
    assert.equal(JSON.parse(whole).items.length, n);
  }
});
