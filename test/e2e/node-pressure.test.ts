// Disk pressure on a real node: `skiff server` with its data dir on a small tmpfs of its
// own. Filling that filesystem past the kubelet's thresholds (imagefs.available<15%,
// nodefs.available<10%) makes the agent report DiskPressure True with the kubelet's
// reason and event, the node lifecycle controller adds the disk-pressure NoSchedule
// taint, and a new pod without a toleration is not scheduled there.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { realNodeMissing, startRealNode, type RealNode } from '../helpers/real-node.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>, node: RealNode): Promise<T> {
  const deadline = Date.now() + ms;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}\n--- server log (tail) ---\n${node.logs().slice(-5000)}`);
}

test('a full data dir filesystem puts DiskPressure and its taint on the node', { timeout: 180_000 }, async (t) => {
  const why = realNodeMissing();
  if (why) return t.skip(why);
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-e2e-pressure-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', dataDir], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    return t.skip(`cannot mount a tmpfs: ${mounted.stderr.trim()}`);
  }
  let node: RealNode | undefined;
  try {
    node = await startRealNode([], { dataDir });
    const n = node;
    const getNode = async () => JSON.parse((await n.kubectl(['get', 'nodes', '-o', 'json'])).stdout).items[0] as Node;
    const disk = (x: Node) => x.status?.conditions?.find((c) => c.type === 'DiskPressure');
    assert.equal(disk(await getNode())?.status, 'False', 'an empty filesystem is no pressure');

    // Leave 5 % of the filesystem free: below both the nodefs and the imagefs threshold.
    const s = statfsSync(dataDir);
    const fill = Math.floor(s.bavail * s.bsize - 0.05 * s.blocks * s.bsize);
    const dd = spawnSync('fallocate', ['-l', String(fill), join(dataDir, 'filler')], { encoding: 'utf8' });
    assert.equal(dd.status, 0, dd.stderr);

    const pressed = await until(
      'DiskPressure True',
      60_000,
      async () => {
        const x = await getNode();
        return disk(x)?.status === 'True' && (x.spec?.taints ?? []).some((tt) => tt.key === 'node.kubernetes.io/disk-pressure') ? x : undefined;
      },
      n,
    );
    assert.equal(disk(pressed)!.reason, 'KubeletHasDiskPressure');
    assert.equal(disk(pressed)!.message, 'kubelet has disk pressure');
    assert.deepEqual(
      pressed.spec!.taints!.filter((tt) => tt.key === 'node.kubernetes.io/disk-pressure').map((tt) => tt.effect),
      ['NoSchedule'],
    );
    const ev = await n.kubectl([
      'get',
      'events',
      '--field-selector',
      'involvedObject.kind=Node,reason=NodeHasDiskPressure',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    assert.match(ev.stdout, /status is now: NodeHasDiskPressure/);

    assert.equal((await n.kubectl(['run', 'waits', '--image=skiff.local/busybox:1.35', '--image-pull-policy=IfNotPresent', '--', 'sleep', '60'])).code, 0);
    const msg = await until(
      'the new pod to be unschedulable',
      30_000,
      async () => {
        const r = await n.kubectl(['get', 'pod', 'waits', '-o', 'json']);
        const c = (JSON.parse(r.stdout) as Pod).status?.conditions?.find((x) => x.type === 'PodScheduled');
        return c?.reason === 'Unschedulable' ? c.message : undefined;
      },
      n,
    );
    assert.match(msg ?? '', /node\.kubernetes\.io\/disk-pressure/);
  } finally {
    if (node) await node.cleanup();
    else {
      spawnSync('umount', ['-l', dataDir]);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
});
