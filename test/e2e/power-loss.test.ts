// Power loss, simulated with what this machine has (no device-mapper, so no dm-flakey): the
// data dir lives on ext4 in a loop device. While clients write, the server is frozen
// (SIGSTOP); the loop device's backing file — what the filesystem has handed to its "disk" —
// is copied; then everything is killed, the copy is attached as a new loop device and mounted
// (ext4 replays its journal, as after a power cut), a server starts on it, and every write
// acknowledged before the freeze must be there.
//
// What this proves: an acknowledged write had reached the block device (SQLite's WAL was
// fsynced, ext4 committed its journal) before the answer went out; dirty pages still in the
// mounted filesystem's page cache are not in the copy, exactly as they would be gone after a
// power cut. What it does not prove: the kernel's writeback may still flush some dirty pages
// of the frozen process to the backing file while the copy runs (so a missing fsync can go
// unnoticed in a run), and the host's own page cache under the backing file is treated as
// the disk (no drive write cache is modelled). The same run with --unsafe-no-fsync is
// reported, not asserted: it loses acknowledged writes only when writeback did not happen
// to save them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Client } from '../../src/client/client.js';
import { HttpsTransport } from '../../src/client/https-transport.js';
import { startServer, type TestServer } from '../helpers/server.js';

const IMAGE_MB = 256;
const WRITERS = 8;
const MAX_WRITES = 3000; // per writer

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (loop devices and mount)';
  for (const bin of ['losetup', 'mkfs.ext4', 'mount', 'umount'])
    try {
      run('sh', ['-c', `command -v ${bin}`]);
    } catch {
      return `needs ${bin}`;
    }
  if (!existsSync('/dev/loop-control')) return 'needs loop devices (/dev/loop-control is missing)';
  try {
    run('losetup', ['--find']);
  } catch (err) {
    return `no free loop device: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/** Loop devices and mounts made by this test, undone in reverse order also on failure. */
class Disk {
  private readonly undo: (() => void)[] = [];

  attach(image: string, mountpoint: string): void {
    const dev = run('losetup', ['--find', '--show', image]);
    this.undo.push(() => run('losetup', ['-d', dev]));
    mkdirSync(mountpoint, { recursive: true });
    run('mount', ['-t', 'ext4', dev, mountpoint]);
    this.undo.push(() => {
      try {
        run('umount', [mountpoint]);
      } catch {
        run('umount', ['-l', mountpoint]);
      }
    });
  }

  /** Unmounts and detaches everything attached so far. */
  release(): void {
    const errors: string[] = [];
    for (const f of this.undo.splice(0).reverse())
      try {
        f();
      } catch (err) {
        errors.push((err as Error).message);
      }
    if (errors.length) throw new Error(`cleanup failed: ${errors.join('; ')}`);
  }
}

interface CutResult {
  acked: number;
  lost: string[];
}

/** One power cut: write, freeze, copy the disk, kill, restart on the copy; the acknowledged writes that are missing. */
async function powerCut(dir: string, label: string, args: string[]): Promise<CutResult> {
  const image = join(dir, `${label}.img`);
  const copy = join(dir, `${label}-cut.img`);
  run('truncate', ['-s', `${IMAGE_MB}M`, image]);
  run('mkfs.ext4', ['-q', '-F', image]);
  const disk = new Disk();
  let s: TestServer | undefined;
  let after: TestServer | undefined;
  try {
    disk.attach(image, join(dir, `${label}-mnt`));
    const dataDir = join(dir, `${label}-mnt`, 'data');
    s = await startServer({ dataDir, args, timeoutMs: 60_000 });
    const client = new Client(HttpsTransport.fromKubeconfig(s.kubeconfig));
    const acked = new Map<string, string>();
    let frozen = false;
    const writer = async (w: number) => {
      for (let i = 0; !frozen && i < MAX_WRITES; i++) {
        const name = `w${w}-${i}`;
        try {
          const cm = await client.configMaps.create({ metadata: { name, namespace: 'default' }, data: { i: String(i) } });
          acked.set(name, cm.metadata!.resourceVersion!);
        } catch {
          return;
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    const started = Date.now();
    while (acked.size < 200 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)));
    s.proc.kill('SIGSTOP');
    frozen = true;
    // Answers already on the wire were sent before the freeze: they count as acknowledged.
    await new Promise((r) => setTimeout(r, 300));
    const ackedBeforeCut = new Map(acked);
    run('cp', ['--sparse=always', image, copy]);
    client.close();
    await s.stop(true); // SIGKILL works on a stopped process
    await Promise.race([Promise.all(writers), new Promise((r) => setTimeout(r, 5000))]);
    disk.release();

    disk.attach(copy, join(dir, `${label}-cut-mnt`));
    after = await startServer({ dataDir: join(dir, `${label}-cut-mnt`, 'data'), args, timeoutMs: 60_000 });
    const c2 = new Client(HttpsTransport.fromKubeconfig(after.kubeconfig));
    const list = await c2.configMaps.list({ namespace: 'default' });
    c2.close();
    const present = new Map(list.items.map((i) => [i.metadata!.name!, i.metadata!.resourceVersion!]));
    const lost = [...ackedBeforeCut].filter(([name, rv]) => present.get(name) !== rv).map(([name, rv]) => `${name}@${rv}`);
    return { acked: ackedBeforeCut.size, lost };
  } finally {
    if (s && s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    await s?.stop(true);
    await after?.stop();
    disk.release();
  }
}

test('power cut on a loop-mounted ext4: every write acknowledged before the cut is on the recovered disk', { skip: unavailable() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-powerloss-'));
  try {
    const safe = await powerCut(dir, 'fsync', []);
    t.diagnostic(`fsync before ack: ${safe.acked} writes acknowledged before the cut, ${safe.lost.length} missing after recovery`);
    assert.ok(safe.acked >= 200, `only ${safe.acked} writes were acknowledged before the cut`);
    assert.deepEqual(safe.lost, [], `acknowledged writes missing after the power cut: ${safe.lost.slice(0, 20).join(', ')}`);
    // For comparison only: without the fsync, what reached the disk depends on writeback timing.
    const unsafe = await powerCut(dir, 'nofsync', ['--unsafe-no-fsync']);
    t.diagnostic(`--unsafe-no-fsync: ${unsafe.acked} writes acknowledged before the cut, ${unsafe.lost.length} missing after recovery`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
