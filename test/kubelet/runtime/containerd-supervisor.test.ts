// The supervisor's failure path, with a stand-in binary that exits at once (no containerd
// needed): start() fails with a pointer to the log, and nothing keeps restarting afterwards.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Logger } from '../../../src/util/log.js';
import { ContainerdSupervisor } from '../../../src/kubelet/runtime/containerd.js';

test('a containerd that dies during start-up fails start() and is not restarted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sup-'));
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), child: () => log };
  try {
    const sup = new ContainerdSupervisor({
      agentDir: join(dir, 'agent'),
      cniConfDir: join(dir, 'agent', 'cni', 'net.d'),
      log,
      binary: '/bin/false',
      readyTimeoutMs: 10_000,
    });
    await assert.rejects(sup.start(), /containerd exited during start-up; see .*containerd\.log/);
    assert.ok(existsSync(sup.layout.config), 'the config was written');
    assert.match(readFileSync(sup.layout.config, 'utf8'), /sandbox_image = "skiff.local\/pause:3.10"/);
    const started = lines.filter((l) => l === 'containerd started').length;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(lines.filter((l) => l === 'containerd started').length, started, 'no restart after a failed start');
    assert.equal(sup.pid, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
