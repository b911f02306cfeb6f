import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, runWorkers } from '../../src/client/workqueue.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter } from '../../src/client/rate-limiter.js';
import { until } from './fake-api.js';

const tick = () => new Promise((r) => setImmediate(r));

test('a key is queued once however often it is added', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
  q.shutDown();
});

test('a key added while processing is not handed out again until done()', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  const k1 = await q.get();
  assert.equal(k1, 'a');
  q.add('a'); // dirty: changed while being processed
  q.add('a');
  assert.equal(q.len(), 1, 'only b is waiting');
  assert.equal(await q.get(), 'b');
  let got: string | undefined;
  void q.get().then((k) => (got = k));
  await tick();
  assert.equal(got, undefined, 'a is still being processed');
  q.done('a');
  await tick();
  assert.equal(got, 'a', 'handed out again after done');
  q.done('b');
  q.done('a');
  assert.equal(q.len(), 0, 'not dirty any more');
  q.shutDown();
});

test('get() waits for an add', async () => {
  const q = new WorkQueue();
  const p = q.get();
  setTimeout(() => q.add('x'), 5);
  assert.equal(await p, 'x');
  q.shutDown();
});

test('no two workers ever hold the same key', async () => {
  const q = new WorkQueue();
  const active = new Set<string>();
  let overlaps = 0;
  let runs = 0;
  const done = runWorkers(q, 4, async (key) => {
    if (active.has(key)) overlaps++;
    active.add(key);
    runs++;
    await new Promise((r) => setTimeout(r, 2));
    if (runs < 40) q.add(key); // keep the key busy and dirty
    active.delete(key);
  });
  for (let i = 0; i < 10; i++) for (const k of ['a', 'b', 'c']) q.add(k);
  await until(() => runs >= 40, 3000, 'runs');
  q.shutDown();
  await done;
  assert.equal(overlaps, 0);
});

test('shutDown: waiting and later get() resolve undefined, adds are ignored', async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.addAfter('later', 20);
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add('x');
  assert.equal(await q.get(), undefined);
  assert.equal(q.len(), 0);
  assert.equal(q.isShuttingDown(), true);
});

test('shutDownWithDrain waits for keys being processed', async () => {
  const q = new WorkQueue();
  q.add('a');
  const key = (await q.get())!;
  let drained = false;
  const p = q.shutDownWithDrain().then(() => (drained = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(drained, false);
  q.done(key);
  await p;
  assert.equal(drained, true);
});

test('addAfter: the key appears after the delay; the earliest pending delay wins', async () => {
  const q = new WorkQueue();
  const t0 = Date.now();
  q.addAfter('a', 200);
  q.addAfter('a', 30);
  q.addAfter('a', 500);
  assert.equal(q.len(), 0);
  assert.equal(await q.get(), 'a');
  const waited = Date.now() - t0;
  assert.ok(waited >= 25 && waited < 190, `waited ${waited} ms`);
  q.done('a');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(q.len(), 0, 'the later delays were dropped');
  q.addAfter('b', 0);
  assert.equal(q.len(), 1, 'no delay means now');
  q.shutDown();
});

test('per-item exponential back-off: 5 ms doubling, capped, reset by forget', () => {
  const rl = new ItemExponentialRateLimiter(5, 1_000_000);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => rl.when('a')),
    [5, 10, 20, 40, 80],
  );
  assert.equal(rl.when('b'), 5, 'keys are independent');
  assert.equal(rl.numRequeues('a'), 5);
  for (let i = 0; i < 100; i++) rl.when('a');
  assert.equal(rl.when('a'), 1_000_000);
  rl.forget('a');
  assert.equal(rl.numRequeues('a'), 0);
  assert.equal(rl.when('a'), 5);
});

test('token bucket: a burst of 100 for free, then 10 per second', () => {
  let now = 1_000_000;
  const rl = new BucketRateLimiter(10, 100, () => now);
  for (let i = 0; i < 100; i++) assert.equal(rl.when(`k${i}`), 0);
  assert.equal(rl.when('x'), 100);
  assert.equal(rl.when('y'), 200);
  now += 1000; // ten tokens come back, two were owed
  for (let i = 0; i < 8; i++) assert.equal(rl.when(`z${i}`), 0);
  assert.equal(rl.when('w'), 100);
});

test('combined limiter takes the longer delay; the default is 5 ms per item under a 10 qps bucket', () => {
  const now = 0;
  const rl = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000), new BucketRateLimiter(10, 1, () => now));
  assert.equal(rl.when('a'), 5);
  assert.equal(rl.when('a'), 100, 'the bucket is empty');
  rl.forget('a');
  assert.equal(rl.numRequeues('a'), 0);
  const d = defaultControllerRateLimiter();
  assert.equal(d.when('k'), 5);
  assert.equal(d.when('k'), 10);
});

test('addRateLimited delays by the limiter; runWorkers requeues failures and forgets successes', async () => {
  const q = new WorkQueue({ rateLimiter: new ItemExponentialRateLimiter(5, 50) });
  const attempts: number[] = [];
  const errors: string[] = [];
  const done = runWorkers(
    q,
    2,
    async (key) => {
      attempts.push(Date.now());
      if (attempts.length < 4) throw new Error(`fail ${key} #${attempts.length}`);
    },
    { onError: (_k, e) => errors.push((e as Error).message) },
  );
  q.add('a');
  await until(() => attempts.length === 4, 2000, 'four attempts');
  await tick();
  assert.equal(errors.length, 3);
  assert.equal(q.numRequeues('a'), 0, 'forgotten after success');
  // 5 + 10 + 20 ms of back-off between the first and the fourth attempt
  assert.ok(attempts[3]! - attempts[0]! >= 30, `spread ${attempts[3]! - attempts[0]!} ms`);
  q.shutDown();
  await done;
});

test('runWorkers gives up after maxRetries', async () => {
  const q = new WorkQueue({ rateLimiter: new ItemExponentialRateLimiter(1, 5) });
  let calls = 0;
  const done = runWorkers(
    q,
    1,
    async () => {
      calls++;
      throw new Error('always');
    },
    { maxRetries: 3, onError: () => {} },
  );
  q.add('a');
  await until(() => calls === 4, 2000, 'four calls');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, 4, 'first try plus three retries');
  q.shutDown();
  await done;
});
