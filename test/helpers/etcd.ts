// Starts a real single-member etcd on loopback with its own data dir and free ports, for
// tests and benchmarks. Callers skip by name when the binary is missing (etcdBinary()).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningEtcd {
  endpoint: string;
  process: ChildProcess;
  /** Kills etcd (SIGKILL) and starts it again on the same ports and data; resolves when it is healthy. */
  restart(downMs?: number): Promise<void>;
  /** Kills etcd and removes its data dir. */
  stop(): Promise<void>;
}

/** The etcd binary's path, or undefined when etcd is not installed. */
export function etcdBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/usr/local/bin').split(':')) {
    const p = join(dir, 'etcd');
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}

async function startOnce(bin: string): Promise<RunningEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  let child!: ChildProcess;
  let exited = false;
  const launch = () => {
    const logFd = openSync(join(dir, 'etcd.log'), 'a');
    child = spawn(
      bin,
      [
        '--name',
        'skiff-test',
        '--data-dir',
        join(dir, 'data'),
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `skiff-test=${peerUrl}`,
        // Metrics and pprof stay on the client port; nothing listens elsewhere.
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    exited = false;
    child.once('exit', () => (exited = true));
  };
  const kill = async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  };
  const stop = async () => {
    await kill();
    rmSync(dir, { recursive: true, force: true });
  };
  const waitHealthy = async () => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !exited) {
      if (await healthy(endpoint)) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };
  const failure = () =>
    `etcd did not become healthy at ${endpoint}: ${existsSync(join(dir, 'etcd.log')) ? readFileSync(join(dir, 'etcd.log'), 'utf8').slice(-2000) : ''}`;
  launch();
  if (!(await waitHealthy())) {
    const msg = failure();
    await stop();
    throw new Error(msg);
  }
  const running: RunningEtcd = {
    endpoint,
    get process() {
      return child;
    },
    async restart(downMs = 0) {
      await kill();
      await new Promise((r) => setTimeout(r, downMs));
      launch();
      if (!(await waitHealthy())) throw new Error(failure());
    },
    stop,
  };
  return running;
}

/** Starts etcd; a port taken between choosing and binding it is retried with new ports. */
export async function startEtcd(): Promise<RunningEtcd> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd is not installed');
  let last: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin);
    } catch (err) {
      last = err as Error;
    }
  }
  throw last!;
}
