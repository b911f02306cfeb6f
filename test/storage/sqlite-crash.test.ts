// Every write the store acknowledged must survive kill -9 of the process that made it.
// A child process writes in a loop and reports each acknowledged key on stdout; we kill
// it mid-stream and check the database holds every key it reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/storage/sqlite.js';

// This file runs compiled, as dist/test/storage/; the store is compiled next to it.
const storeModule = new URL('../../src/storage/sqlite.js', import.meta.url).href;

const childScript = `
import { writeSync } from 'node:fs';
import { SqliteStore } from ${JSON.stringify(storeModule)};
const store = SqliteStore.open(process.argv[2], { compactEvery: 0 });
const value = JSON.stringify({ kind: 'ConfigMap', data: { pad: 'x'.repeat(400) } });
const revs = new Map();
// Synchronous write: a line is out before the next store call starts.
const ack = (op, key, rev) => writeSync(1, op + ' ' + key + ' ' + rev + '\\n');
for (let i = 0; ; i++) {
  const key = '/registry/crash/k' + i + '/';
  revs.set(key, await store.create(key, value));
  ack('create', key, revs.get(key));
  // Updates and deletes too, so every kind of write can be the one the kill lands on.
  if (i % 2 === 1) {
    const k = '/registry/crash/k' + (i - 1) + '/';
    revs.set(k, await store.update(k, '{"u":' + i + '}', revs.get(k)));
    ack('update', k, revs.get(k));
  }
  if (i % 4 === 3) {
    const k = '/registry/crash/k' + (i - 2) + '/';
    ack('delete', k, (await store.delete(k, revs.get(k))).revision);
  }
}
`;

const KILL_AFTER_ACKS = 3000;

test('acknowledged writes survive SIGKILL', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
  try {
    const script = join(dir, 'writer.mjs');
    const dbPath = join(dir, 'db.sqlite');
    writeFileSync(script, childScript);
    const child = spawn(process.execPath, [script, dbPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let acks = 0;
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // 'close', not 'exit': lines the child wrote before it died are still in the pipe.
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('close', (code, signal) => resolve(signal ?? code)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      acks = out.split('\n').length - 1;
      if (acks >= KILL_AFTER_ACKS && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const how = await exited;
    clearTimeout(guard);
    assert.equal(how, 'SIGKILL', `writer ended unexpectedly: ${err}`);
    assert.ok(acks >= KILL_AFTER_ACKS, `writer acknowledged only ${acks} writes: ${err}`);

    // Only complete lines were acknowledged; a torn last line is not.
    const acked = out
      .split('\n')
      .slice(0, -1)
      .map((l) => {
        const [op, key, rev] = l.split(' ');
        return { op: op!, key: key!, rev: Number(rev) };
      });
    const store = SqliteStore.open(dbPath, { compactEvery: 0 });
    try {
      // Nothing was compacted, so the log must show each acknowledged write at its revision.
      const lost: string[] = [];
      for (const w of acked) {
        const at = (await store.list(w.key, { revision: w.rev })).items;
        const ok = w.op === 'delete' ? at.length === 0 : at.length === 1 && at[0]!.modRevision === w.rev;
        if (!ok) lost.push(`${w.op} ${w.key}@${w.rev}`);
      }
      assert.deepEqual(lost, []);

      // At most the one write in flight at the kill committed without being acknowledged.
      const lastRev = acked.at(-1)!.rev;
      const rev = await store.currentRevision();
      assert.ok(rev === lastRev || rev === lastRev + 1, `revision ${rev} after last acknowledged ${lastRev}`);
      const expected = new Map<string, number>();
      for (const w of acked) {
        if (w.op === 'delete') expected.delete(w.key);
        else expected.set(w.key, w.rev);
      }
      const actual = new Map((await store.list('/registry/crash/')).items.map((kv) => [kv.key, kv.modRevision]));
      const differing = [...new Set([...expected.keys(), ...actual.keys()])].filter((k) => expected.get(k) !== actual.get(k));
      assert.ok(differing.length <= rev - lastRev, `keys differ from the acknowledged writes: ${differing.join(', ')}`);

      // The database is usable after the crash.
      const next = await store.create('/registry/crash/after', '{}');
      assert.ok(next > lastRev);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
