// `skiff server --runtime auto` without containerd on PATH runs its node in simulated mode
// and says so, with the reason, before anything else; `--runtime cri` refuses to start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SKIFF_BIN } from '../helpers/server.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `skiff server` with a PATH that holds node and nothing else; stops it once ready (or after 30 s). */
function runServer(args: string[]): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-rtsel-'));
  // node may live in /usr/bin beside containerd: PATH gets a directory of its own holding only node.
  const bin = join(dataDir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const proc = spawn(
    process.execPath,
    [SKIFF_BIN, 'server', '--data-dir', dataDir, '--https-port', '0', '--kubelet-port', '0', '--bind-address', '127.0.0.1', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: bin },
    },
  );
  let stdout = '';
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  proc.stdout.on('data', (d) => {
    stdout += d;
    if (/ready at https:\/\//.test(stdout)) proc.kill('SIGTERM');
  });
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((res) =>
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
      res({ code, stdout, stderr });
    }),
  );
}

test('without containerd, --runtime auto starts in simulated mode and says why on its first line', async () => {
  const r = await runServer(['--runtime', 'auto']);
  assert.match(r.stdout, /ready at https:\/\//, r.stderr);
  const first = r.stderr.split('\n')[0]!;
  assert.match(first, /WARNING: pods on this host run in SIMULATED mode/);
  // As root the missing binary is named; as another user, the missing privilege.
  assert.match(first, /containerd is not installed|not running as root/);
});

test('--runtime cri without containerd refuses to start and says why', async () => {
  const r = await runServer(['--runtime', 'cri']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--runtime cri cannot run here: (containerd is not installed|not running as root)/);
});

test('--runtime with an unknown kind is a clear error', async () => {
  const r = await runServer(['--runtime', 'docker']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--runtime must be auto, cri or simulated/);
});
