// The long-lived shell that runs the node agent's host commands: argv words are never
// interpreted, statuses and output come back per command in order, and a hung or dead shell
// fails only the command in flight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandShell, shellQuote } from '../../src/kubelet/command-shell.js';

test('arguments reach the command as they are: quotes, spaces, $, backticks and newlines', async () => {
  const sh = new CommandShell();
  try {
    const tricky = [`it's`, 'a b', '$HOME', '`id`', 'x\ny', '; echo injected', ''];
    const r = await sh.run(['printf', '[%s]', ...tricky]);
    assert.equal(r.code, 0);
    assert.equal(r.output, tricky.map((t) => `[${t}]`).join(''));
    assert.equal(shellQuote(`it's`), `'it'\\''s'`);
  } finally {
    sh.close();
  }
});

test('statuses and output (stderr too) come back per command, in order, also when run at once', async () => {
  const sh = new CommandShell();
  try {
    const [a, b, c, d] = await Promise.all([
      sh.run(['echo', 'one']),
      sh.run(['sh', '-c', 'echo to-stderr >&2; exit 3']),
      sh.run(['false']),
      sh.run(['printf', 'no newline at the end']),
    ]);
    assert.deepEqual(a, { code: 0, output: 'one\n' });
    assert.deepEqual(b, { code: 3, output: 'to-stderr\n' });
    assert.equal(c.code, 1);
    assert.deepEqual(d, { code: 0, output: 'no newline at the end' });
    // A command that reads stdin gets /dev/null, not the commands that follow it.
    const [cat, after] = await Promise.all([sh.run(['cat']), sh.run(['echo', 'after'])]);
    assert.deepEqual([cat.output, after.output], ['', 'after\n']);
    const missing = await sh.run(['/nonexistent/command']);
    assert.equal(missing.code, 127);
  } finally {
    sh.close();
  }
});

test('a command past its deadline fails alone; the next one runs in a new shell', async () => {
  const sh = new CommandShell();
  try {
    const slow = sh.run(['sleep', '5'], 200);
    const next = sh.run(['echo', 'still here']);
    await assert.rejects(slow, /sleep 5: sleep did not finish within 200 ms/);
    assert.deepEqual(await next, { code: 0, output: 'still here\n' });
  } finally {
    sh.close();
  }
});

test('a shell that dies takes only the command in flight; close fails what is queued', async () => {
  const sh = new CommandShell();
  await assert.rejects(sh.run(['sh', '-c', 'kill -9 $PPID; sleep 1']), /the command shell exited/);
  assert.deepEqual(await sh.run(['echo', 'again']), { code: 0, output: 'again\n' });
  const a = sh.run(['sleep', '1']);
  const b = sh.run(['echo', 'never']);
  sh.close();
  await assert.rejects(a, /closed/);
  await assert.rejects(b, /closed/);
  await assert.rejects(new CommandShell().run([]), /no command given/);
});
