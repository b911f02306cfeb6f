// The CRI log parser and the reader behind `kubectl logs`: tail, since, timestamps,
// limitBytes, and following a file that grows, rotates, and stops when the container exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastLines, parseLogLine } from '../../../src/kubelet/server/cri-log.js';
import { formatTimeNs, parseTimeNs } from '../../../src/util/time.js';
import { readContainerLog, type ContainerLogOptions } from '../../../src/kubelet/server/log-reader.js';

const FIXTURE = fileURLToPath(new URL('../../../../test/fixtures/cri-logs/0.log', import.meta.url));

async function read(path: string, opts: ContainerLogOptions = {}): Promise<string> {
  const chunks: Buffer[] = [];
  await readContainerLog(path, opts, async (b) => void chunks.push(b));
  return Buffer.concat(chunks).toString();
}

test('parseLogLine reads time, stream, partial flag and message', () => {
  const e = parseLogLine(Buffer.from('2026-01-01T10:00:02.123456789Z stderr P hello world'))!;
  assert.equal(e.stream, 'stderr');
  assert.equal(e.partial, true);
  assert.equal(e.message.toString(), 'hello world');
  assert.equal(e.ns, BigInt(Date.parse('2026-01-01T10:00:02Z')) * 1_000_000n + 123_456_789n);
  assert.equal(parseLogLine(Buffer.from('2026-01-01T10:00:02Z stdout F'))!.message.length, 0);
  assert.equal(parseLogLine(Buffer.from('garbage')), undefined);
  assert.equal(parseLogLine(Buffer.from('2026-01-01T10:00:02Z stdin F x')), undefined);
  assert.equal(parseLogLine(Buffer.from('yesterday stdout F x')), undefined);
});

test('times print as Go RFC3339Nano in UTC', () => {
  assert.equal(formatTimeNs(parseTimeNs('2026-01-01T10:00:01.500000000Z')!), '2026-01-01T10:00:01.5Z');
  assert.equal(formatTimeNs(parseTimeNs('2026-01-01T10:00:00.000000000Z')!), '2026-01-01T10:00:00Z');
  assert.equal(formatTimeNs(parseTimeNs('2026-01-01T10:00:03.000000001+01:00')!), '2026-01-01T09:00:03.000000001Z');
});

test('the whole log: fragments joined, damaged lines skipped, empty lines kept', async () => {
  assert.equal(await read(FIXTURE), 'line one\nwarning: two\nlong line in three parts\nfour, with an offset zone\n\nlast\n');
});

test('tailLines counts a line split into fragments once', async () => {
  assert.equal(await read(FIXTURE, { tailLines: 2 }), '\nlast\n');
  assert.equal(await read(FIXTURE, { tailLines: 4 }), 'long line in three parts\nfour, with an offset zone\n\nlast\n');
  assert.equal(await read(FIXTURE, { tailLines: 0 }), '');
  assert.equal(await read(FIXTURE, { tailLines: 100 }), await read(FIXTURE));
  const frag = (partial: boolean) => ({ time: '', ns: 0n, stream: 'stdout' as const, partial, message: Buffer.alloc(0) });
  // An unfinished run of fragments at the end is a line of its own.
  assert.equal(lastLines([frag(false), frag(true), frag(true)], 1).length, 2);
});

test('timestamps prefix each line once, sinceTime drops earlier entries', async () => {
  const out = await read(FIXTURE, { timestamps: true, sinceNs: parseTimeNs('2026-01-01T10:00:02Z') });
  assert.equal(out, '2026-01-01T10:00:02.123456789Z long line in three parts\n' + '2026-01-01T10:00:04Z \n' + '2026-01-01T10:00:05Z last\n');
});

test('limitBytes cuts the output at that many bytes', async () => {
  assert.equal(await read(FIXTURE, { limitBytes: 12 }), 'line one\nwar');
  assert.equal(await read(FIXTURE, { limitBytes: 12, tailLines: 1 }), 'last\n');
});

test('a missing file is an error that names it', async () => {
  await assert.rejects(read('/nonexistent/skiff/0.log'), /failed to open log file "\/nonexistent\/skiff\/0.log"/);
});

test('follow streams appended lines, survives rotation, and ends when the container exits', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, '0.log');
  await writeFile(path, '2026-01-01T10:00:00Z stdout F before\n');
  let running = true;
  const got: string[] = [];
  let notify: (() => void) | undefined;
  const waitFor = async (text: string) => {
    const deadline = Date.now() + 5000;
    while (!got.join('').includes(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(got.join(''))}`);
      await new Promise<void>((r) => {
        notify = r;
        setTimeout(r, 50);
      });
    }
  };
  const done = readContainerLog(
    path,
    { follow: true, tailLines: 5 },
    async (b) => {
      got.push(b.toString());
      notify?.();
    },
    { isRunning: async () => running, pollMs: 20 },
  );
  await waitFor('before\n');
  // Half a line first: nothing shows until the line is complete.
  await appendFile(path, '2026-01-01T10:00:01Z stdout P app');
  await appendFile(path, 'end\n2026-01-01T10:00:01Z stdout F ed\n');
  await waitFor('appended\n');
  // Rotation as containerd does it: rename away, then a new file under the same name.
  await rename(path, `${path}.20260101-100002`);
  await writeFile(path, '2026-01-01T10:00:02Z stderr F rotated\n');
  await waitFor('rotated\n');
  await appendFile(path, '2026-01-01T10:00:03Z stdout F final words\n');
  running = false;
  await done;
  assert.equal(got.join(''), 'before\nappended\nrotated\nfinal words\n');
});

test('follow stops when the reader goes away', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, '0.log');
  await writeFile(path, '2026-01-01T10:00:00Z stdout F x\n');
  const ac = new AbortController();
  const started = Date.now();
  const done = readContainerLog(path, { follow: true }, async () => undefined, { isRunning: async () => true, signal: ac.signal, pollMs: 10_000 });
  setTimeout(() => ac.abort(), 50);
  await done;
  assert.ok(Date.now() - started < 5000, 'abort ends the poll wait at once');
});
