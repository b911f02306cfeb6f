import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criLogTail, terminationMessage } from '../../../src/kubelet/container/termination-message.js';

test('the CRI log tail keeps the last 80 lines and at most 2 KiB, joining partial lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-tail-'));
  try {
    const p = join(dir, '0.log');
    const lines = [];
    for (let i = 0; i < 100; i++) lines.push(`2026-01-01T00:00:00.${String(i).padStart(9, '0')}Z stdout F line ${i}`);
    lines.push('2026-01-01T00:00:01Z stderr P part-');
    lines.push('2026-01-01T00:00:01Z stderr F end');
    await writeFile(p, `${lines.join('\n')}\n`);
    const tail = await criLogTail(p);
    const got = tail.split('\n').filter(Boolean);
    assert.equal(got.length, 80);
    assert.equal(got[0], 'line 21');
    assert.equal(got.at(-1), 'part-end');
    const small = await criLogTail(p, 80, 20);
    assert.equal(small, '98\nline 99\npart-end\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('termination message: file content (at most 4 KiB), runtime message prefix, log fallback only on failure', async () => {
  assert.equal(await terminationMessage({ fileContent: 'bye', exitCode: 0 }), 'bye');
  assert.equal(await terminationMessage({ fileContent: 'x'.repeat(5000), exitCode: 0 }), 'x'.repeat(4096));
  assert.equal(await terminationMessage({ fileContent: 'bye', exitCode: 137, runtimeMessage: 'OOMKilled' }), 'OOMKilled: bye');
  assert.equal(await terminationMessage({ fileContent: '', exitCode: 0, policy: 'FallbackToLogsOnError', logPath: '/nonexistent' }), undefined);
  assert.equal(
    await terminationMessage({ exitCode: 1, policy: 'FallbackToLogsOnError', logPath: '/nonexistent/x.log' }),
    undefined,
    'a missing log is no message, not an error',
  );
});
