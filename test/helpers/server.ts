// Starts a real `skiff server` process for integration tests and runs the real kubectl
// against it. Each server gets its own data dir, port and kubectl cache.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const SKIFF_BIN = join(ROOT, 'bin', 'skiff.js');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  url: string;
  port: number;
  kubeconfig: string;
  dataDir: string;
  proc: ChildProcess;
  logs: () => string;
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<KubectlResult>;
  /** Stops the server (SIGTERM, or SIGKILL when `kill9`); keeps the data dir. */
  stop(kill9?: boolean): Promise<void>;
  /** Stops the server and removes its data dir. */
  cleanup(): Promise<void>;
}

export function kubectlAt(kubeconfig: string, home: string) {
  return (args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> =>
    new Promise((res) => {
      const child = execFile(
        'kubectl',
        ['--kubeconfig', kubeconfig, ...args],
        { env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig }, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });
}

/** `agent`: run this host's node agent too, on the simulated runtime (its HTTPS server on a free port). */
export async function startServer(opts: { dataDir?: string; args?: string[]; timeoutMs?: number; agent?: boolean } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-test-'));
  const agentArgs = opts.agent ? ['--runtime', 'simulated', '--kubelet-port', '0'] : ['--disable-agent'];
  const proc = spawn(
    process.execPath,
    [SKIFF_BIN, 'server', ...agentArgs, '--data-dir', dataDir, '--https-port', '0', '--bind-address', '127.0.0.1', ...(opts.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-200_000)));
  const ready = await new Promise<{ url: string; kubeconfig: string }>((res, rej) => {
    const timer = setTimeout(() => {
      // Not left running: no caller holds it to stop it.
      proc.kill('SIGKILL');
      rej(new Error(`skiff server did not become ready in time:\n${out}\n${err}`));
    }, opts.timeoutMs ?? 20_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /ready at (https:\/\/\S+) .*kubeconfig: (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res({ url: m[1]!, kubeconfig: m[2]! });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`skiff server exited with ${code}:\n${out}\n${err}`));
    });
  });
  const home = join(dataDir, 'kubectl-home');
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const server: TestServer = {
    url: ready.url,
    port: Number(new URL(ready.url).port),
    kubeconfig: ready.kubeconfig,
    dataDir,
    proc,
    logs: () => err,
    kubectl: kubectlAt(ready.kubeconfig, home),
    async stop(kill9 = false) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(kill9 ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    async cleanup() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** kubectl against the server `server()` gives (set in a before hook), which must exit 0; its stdout. */
export function kubectlOk(server: () => TestServer, timeoutMs?: number): (args: string[], input?: string) => Promise<string> {
  return async (args, input) => {
    const r = await server().kubectl(args, { input, ...(timeoutMs ? { timeoutMs } : {}) });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
    return r.stdout;
  };
}
