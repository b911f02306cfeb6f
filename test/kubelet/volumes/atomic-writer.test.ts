// The atomic writer on real directories: the ..data layout, updates seen through an
// already-open path, removed keys, nested paths, and refusal of escaping paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeAtomically, validatePayloadPath } from '../../../src/kubelet/volumes/atomic-writer.js';
import type { Payload } from '../../../src/kubelet/volumes/types.js';

const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });

test('atomic writer: ..data symlink, visible symlinks, updates and removals', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-aw-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const target = path.join(dir, 'vol');
  assert.equal(
    await writeAtomically(
      target,
      new Map([
        ['a.txt', file('one')],
        ['conf/b.yaml', file('b: 1', 0o600)],
      ]) as Payload,
    ),
    true,
  );
  const ts1 = await readlink(path.join(target, '..data'));
  assert.match(ts1, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\w+$/);
  assert.equal(await readlink(path.join(target, 'a.txt')), '..data/a.txt');
  assert.equal(await readlink(path.join(target, 'conf')), '..data/conf');
  assert.equal(await readFile(path.join(target, 'a.txt'), 'utf8'), 'one');
  assert.equal(await readFile(path.join(target, 'conf/b.yaml'), 'utf8'), 'b: 1');
  assert.equal((await stat(path.join(target, 'conf/b.yaml'))).mode & 0o777, 0o600);
  assert.equal((await stat(path.join(target, ts1))).mode & 0o777, 0o755);

  // Same payload: nothing rewritten.
  assert.equal(
    await writeAtomically(
      target,
      new Map([
        ['a.txt', file('one')],
        ['conf/b.yaml', file('b: 1', 0o600)],
      ]),
    ),
    false,
  );
  assert.equal(await readlink(path.join(target, '..data')), ts1);

  // An update: a new timestamped dir, the old one gone, a dropped key's link gone.
  assert.equal(
    await writeAtomically(
      target,
      new Map([
        ['a.txt', file('two')],
        ['c.txt', file('c', 0o400)],
      ]),
    ),
    true,
  );
  const ts2 = await readlink(path.join(target, '..data'));
  assert.notEqual(ts2, ts1);
  assert.equal(await readFile(path.join(target, 'a.txt'), 'utf8'), 'two');
  assert.equal((await stat(path.join(target, 'c.txt'))).mode & 0o777, 0o400);
  assert.deepEqual((await readdir(target)).sort(), ['..data', ts2, 'a.txt', 'c.txt'].sort());

  // A mode change alone is a change too.
  assert.equal(
    await writeAtomically(
      target,
      new Map([
        ['a.txt', file('two', 0o640)],
        ['c.txt', file('c', 0o400)],
      ]),
    ),
    true,
  );
  assert.equal((await stat(path.join(target, 'a.txt'))).mode & 0o777, 0o640);

  // A file the writer did not make is left alone.
  await writeFile(path.join(target, 'foreign'), 'x');
  await writeAtomically(target, new Map([['a.txt', file('three')]]));
  assert.equal((await lstat(path.join(target, 'foreign'))).isFile(), true);
  await assert.rejects(lstat(path.join(target, 'c.txt')), { code: 'ENOENT' });

  // Empty payload: only the writer's bookkeeping remains.
  await writeAtomically(target, new Map());
  assert.deepEqual(
    (await readdir(target)).filter((e) => !e.startsWith('..')),
    ['foreign'],
  );
});

test('atomic writer refuses paths that escape or collide', async () => {
  for (const bad of ['', '/etc/passwd', '../x', 'a/../../x', '..data', '..hidden/x']) assert.throws(() => validatePayloadPath(bad), /invalid path/, bad);
  assert.doesNotThrow(() => validatePayloadPath('a/b..c/d'));
  await assert.rejects(writeAtomically(path.join(os.tmpdir(), 'never-made'), new Map([['../x', file('x')]])), /must not contain '\.\.'/);
});
