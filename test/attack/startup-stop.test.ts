// A stop signal at a random moment of `skiff server`'s start-up (SIGTERM or SIGINT, once or
// twice in a row): the server exits within a bound, no process it started survives it, and
// its port and data dir are free again: a second server on the same data dir and port
// starts, and stops cleanly in turn. With root and containerd the server runs the real
// runtime, so its children are the containerd it supervises and the ctr image imports;
// elsewhere it runs the simulated runtime (no child) and the test says so.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { killProcessesUnder, unmountUnder } from '../helpers/pod-teardown.js';
import { realNodeMissing } from '../helpers/real-node.js';
import { SKIFF_BIN } from '../helpers/server.js';

const RUNS = 6;
/** From the signal to the process's exit: start-up steps in flight finish, children get 3 s. */
const EXIT_BOUND_MS = 20_000;
const READY_TIMEOUT_MS = 120_000;
/** After the first child appears, the signal comes within this long: containerd's start and the image imports. */
const CHILD_WINDOW_MS = 3_000;

async function until(cond: () => boolean, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

interface Proc {
  pid: number;
  /** Field 22 of /proc/PID/stat: tells a pid from a later process given the same number. */
  start: string;
  cmd: string;
}

function procStat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { ppid: Number(rest[1]), start: rest[19]! };
  } catch {
    return undefined;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Every process now below `root` in the process tree. */
function descendants(root: number): Proc[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = procStat(pid);
    if (st) parent.set(pid, st.ppid);
  }
  const out: Proc[] = [];
  for (const pid of parent.keys()) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        const st = procStat(pid);
        if (st) out.push({ pid, start: st.start, cmd: cmdline(pid) });
        break;
      }
    }
  }
  return out;
}

/** Of the processes seen, those still running (same pid, same start time), and any other naming `dir`. */
function survivors(seen: Map<number, Proc>, dir: string): Proc[] {
  const alive = [...seen.values()].filter((p) => procStat(p.pid)?.start === p.start);
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || seen.has(pid)) continue;
    const cmd = cmdline(pid);
    if (cmd.includes(dir)) alive.push({ pid, start: procStat(pid)?.start ?? '', cmd });
  }
  return alive;
}

/** The run's time to ready, or an error once READY_TIMEOUT_MS have passed. */
async function readyWithin(run: Run): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready in ${READY_TIMEOUT_MS / 1000} s:\n${run.output().slice(-4000)}`)), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run.ready, late]);
  } finally {
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  proc: ChildProcess;
  /** Children seen so far, sampled every 50 ms while the server runs. */
  seen: Map<number, Proc>;
  output(): string;
  ready: Promise<number>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(args: string[]): Run {
  const proc = spawn(process.execPath, [SKIFF_BIN, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-100_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-100_000)));
  const seen = new Map<number, Proc>();
  const sample = () => {
    for (const p of descendants(proc.pid!)) if (!seen.has(p.pid)) seen.set(p.pid, p);
  };
  const sampler = setInterval(sample, 50);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => {
      clearInterval(sampler);
      r({ code, signal });
    }),
  );
  const t0 = performance.now();
  const ready = new Promise<number>((resolve, reject) => {
    const check = () => {
      if (/skiff server ready at https:\/\//.test(out)) resolve(performance.now() - t0);
    };
    proc.stdout!.on('data', check);
    void exited.then(() => reject(new Error(`skiff server exited before it was ready:\n${out}`)));
  });
  ready.catch(() => {});
  return { proc, seen, output: () => out, ready, exited };
}

/** Signals `run` (twice, 50 ms apart, when `twice`), then checks its exit, its children and the data dir. */
async function stopAndCheck(run: Run, signal: NodeJS.Signals, twice: boolean, dir: string, what: string): Promise<string> {
  const t0 = performance.now();
  run.proc.kill(signal);
  if (twice) setTimeout(() => run.proc.exitCode === null && run.proc.signalCode === null && run.proc.kill(signal), 50);
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([run.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), EXIT_BOUND_MS)))]);
  clearTimeout(timer);
  assert.ok(result, `${what}: the server did not exit within ${EXIT_BOUND_MS / 1000} s of ${signal}:\n${run.output().slice(-4000)}`);
  const ms = performance.now() - t0;
  // A child that got its own SIGTERM may take a moment to be gone from the table.
  let left = survivors(run.seen, dir);
  for (let i = 0; i < 20 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = survivors(run.seen, dir);
  }
  assert.deepEqual(
    left.map((p) => `${p.pid} ${p.cmd}`),
    [],
    `${what}: processes of the server outlived it (children seen: ${[...run.seen.values()].map((p) => p.cmd.split(' ')[0]).join(', ') || 'none'})\n${run.output().slice(-4000)}`,
  );
  return `${what}: ${signal}${twice ? '×2' : ''} → exit ${result.code ?? result.signal} in ${ms.toFixed(0)} ms, children seen ${run.seen.size}`;
}

test('a stop signal at random points of start-up leaves no child running and frees the port and data dir', { timeout: 900_000 }, async (t) => {
  const whyNotReal = process.getuid?.() === 0 ? realNodeMissing() : 'not root';
  const tag = Math.random().toString(36).slice(2, 7);
  const octet = 160 + Math.floor(Math.random() * 40);
  const bridge = `sks${tag}`;
  const runtimeArgs = whyNotReal
    ? ['--runtime', 'simulated', '--kubelet-port', '0']
    : [
        '--runtime',
        'cri',
        '--kubelet-port',
        '0',
        '--pod-network',
        'none',
        '--disable-proxy',
        '--disable-ingress',
        '--cluster-cidr',
        `10.${octet}.0.0/17`,
        '--service-cidr',
        `10.${octet}.128.0/17`,
        '--cluster-dns',
        `10.${octet}.128.10`,
        '--cni-bridge',
        bridge,
      ];
  if (whyNotReal) t.diagnostic(`no real runtime here (${whyNotReal}): the server runs the simulated runtime, which starts no child process`);
  const dirs: string[] = [];
  const runs: Run[] = [];
  const args = (dir: string, port: number) => {
    writeFileSync(join(dir, 'resolv.conf'), '# no upstream nameservers\n');
    return [...runtimeArgs, '--data-dir', dir, '--https-port', String(port), '--bind-address', '127.0.0.1', '--resolv-conf', join(dir, 'resolv.conf')];
  };
  const started = (dir: string, port: number) => {
    const r = launch(args(dir, port));
    runs.push(r);
    return r;
  };
  try {
    // One full start on a fresh data dir gives the length of the start-up window.
    const first = mkdtempSync(join(tmpdir(), 'skiff-stop-'));
    dirs.push(first);
    const calibration = started(first, await freePort());
    const windowMs = await readyWithin(calibration);
    const notes = [`start-up took ${windowMs.toFixed(0)} ms`, await stopAndCheck(calibration, 'SIGTERM', false, first, 'running server')];

    let childrenSeen = 0;
    for (let i = 0; i < RUNS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-stop-'));
      dirs.push(dir);
      const port = await freePort();
      const signal: NodeJS.Signals = i % 2 === 0 ? 'SIGTERM' : 'SIGINT';
      const twice = i % 3 === 2;
      const run = started(dir, port);
      const t0 = performance.now();
      // Half the runs stop at a random moment of the whole window; the others once the first
      // child (containerd) is up, during the steps that use it (the image imports).
      if (i % 2 === 1 && !whyNotReal) {
        // Start-up times vary with the machine's load: the calibration run is only a guide.
        await until(() => run.seen.size > 0 || run.proc.exitCode !== null || /skiff server ready/.test(run.output()), Math.max(windowMs * 3, 30_000));
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * CHILD_WINDOW_MS)));
      } else await new Promise((r) => setTimeout(r, Math.floor(Math.random() * windowMs)));
      const when = `after ${(performance.now() - t0).toFixed(0)} ms${/skiff server ready/.test(run.output()) ? ', ready' : ''}`;
      notes.push(await stopAndCheck(run, signal, twice, dir, `run ${i + 1} (${when})`));
      childrenSeen += run.seen.size;

      // The same data dir and port serve a second server, which stops cleanly too.
      const again = started(dir, port);
      await readyWithin(again).catch((err: Error) =>
        assert.fail(`run ${i + 1}: the data dir and port were not usable again: ${err.message}\n${again.output().slice(-4000)}`),
      );
      assert.match(again.output(), new RegExp(`ready at https://127\\.0\\.0\\.1:${port}`));
      notes.push(await stopAndCheck(again, 'SIGTERM', false, dir, `run ${i + 1} restarted`));
    }
    for (const n of notes) t.diagnostic(n);
    if (!whyNotReal) assert.ok(childrenSeen > 0, `no interrupted start-up had a child yet: the test did not exercise what it checks\n${notes.join('\n')}`);
  } finally {
    for (const r of runs) {
      if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
      for (const p of r.seen.values()) if (procStat(p.pid)?.start === p.start) process.kill(p.pid, 'SIGKILL');
    }
    for (const dir of dirs) {
      killProcessesUnder(dir);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    }
    if (!whyNotReal && existsSync(`/sys/class/net/${bridge}`)) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  }
});
