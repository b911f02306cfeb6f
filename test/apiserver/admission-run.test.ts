// Admission hooks run in order; a promise comes back only when a hook returned one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runHooks } from '../../src/apiserver/rest/admission-run.js';

test('synchronous hooks run in order and give no promise', () => {
  const seen: string[] = [];
  const r = runHooks([(x: string) => void seen.push(`a${x}`), (x: string) => void seen.push(`b${x}`)], '1');
  assert.equal(r, undefined);
  assert.deepEqual(seen, ['a1', 'b1']);
});

test('a hook returning a promise delays the later ones until it settles, and its rejection stops them', async () => {
  const seen: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const hooks = [() => void seen.push('a'), () => gate.then(() => void seen.push('b')), () => void seen.push('c')];
  const r = runHooks(hooks);
  assert.ok(r instanceof Promise);
  assert.deepEqual(seen, ['a']);
  release();
  await r;
  assert.deepEqual(seen, ['a', 'b', 'c']);

  const after: string[] = [];
  const failing = runHooks([() => Promise.reject(new Error('denied')), () => void after.push('never')]);
  await assert.rejects(failing!, /denied/);
  assert.deepEqual(after, []);
});

test('a hook that throws synchronously stops the run with its error', () => {
  assert.throws(
    () =>
      runHooks([
        () => {
          throw new Error('forbidden');
        },
      ]),
    /forbidden/,
  );
});
