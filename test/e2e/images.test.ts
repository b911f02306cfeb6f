// The busybox-built images import into a real containerd and run under runc.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { busyboxAvailable, busyboxImage, httpdImage, pauseImage } from '../../src/images/busybox.js';
import { buildImageArchive } from '../../src/images/oci.js';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['containerd', 'ctr', 'runc'])
    if (spawnSync('which', [bin]).status !== 0) return `${bin} is not installed (apt-get install containerd runc)`;
  if (!busyboxAvailable()) return 'busybox-static is not installed';
  return undefined;
}

test('images built from busybox-static import into containerd and run', async (t) => {
  const why = missing();
  if (why) return t.skip(why);
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ctr-'));
  const sock = join(dir, 'containerd.sock');
  writeFileSync(
    join(dir, 'config.toml'),
    `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${sock}"\n`,
  );
  const ctrd = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
  const ctr = (...args: string[]) => spawnSync('ctr', ['--address', sock, '-n', 'skiff-test', ...args], { encoding: 'utf8', timeout: 60_000 });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(sock), 'containerd started');
    for (const spec of [busyboxImage(), httpdImage(), pauseImage()]) {
      const file = join(dir, `${spec.name.replace(/[/:]/g, '_')}.tar`);
      writeFileSync(file, buildImageArchive(spec).archive);
      const imp = ctr('images', 'import', file);
      assert.equal(imp.status, 0, `import ${spec.name}: ${imp.stderr}`);
    }
    const ls = ctr('images', 'ls', '-q');
    for (const name of ['skiff.local/busybox:1.35', 'skiff.local/httpd:1.35', 'skiff.local/pause:3.10'])
      assert.match(ls.stdout, new RegExp(name.replace(/[.]/g, '\\.')));
    const run = ctr('run', '--rm', 'skiff.local/busybox:1.35', `t-${process.pid}`, 'sh', '-c', 'echo hello from $(hostname) && ls /www 2>/dev/null || true');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /hello from/);
  } finally {
    ctrd.kill('SIGTERM');
    await new Promise((r) => ctrd.once('exit', r));
    spawnSync('umount', ['-R', join(dir, 'state')]);
    rmSync(dir, { recursive: true, force: true });
  }
});
