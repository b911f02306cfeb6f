import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../../src/kubelet/container/backoff.js';

test('back-off doubles to its cap, windows end after the delay, and resets after twice the cap without failures', () => {
  let now = 1_000_000;
  const b = new Backoff(10_000, 300_000, () => now);
  assert.equal(b.until('k', now), undefined, 'no back-off before the first failure');
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map(() => b.next('k', now)),
    [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
  );
  assert.equal(b.until('k', now), now + 300_000);
  now += 299_000;
  assert.equal(b.until('k', now - 299_000), now + 1000);
  now += 2000;
  assert.equal(b.until('k', now - 301_000), undefined, 'window over');
  // An event more than ten minutes after the last failure starts again at the initial delay.
  const later = now + 600_001;
  assert.equal(b.until('k', later), undefined);
  now = later;
  assert.equal(b.next('k', later), 10_000);
  b.next('pod/a', now);
  b.resetPrefix('pod/');
  assert.equal(b.get('pod/a'), 0);
  assert.equal(b.get('k'), 10_000);
});
