// A local registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1
// with a port the kernel picks, its own config and storage under a temp dir, and, when
// asked, htpasswd (bcrypt) authentication. Stopped and removed by `stop()`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** Why a local registry cannot run here, or undefined. */
export function registryMissing(opts: { auth?: boolean } = {}): string | undefined {
  if (spawnSync('which', ['docker-registry']).status !== 0) return 'docker-registry is not installed (apt-get install docker-registry)';
  if (opts.auth && spawnSync('which', ['htpasswd']).status !== 0) return 'htpasswd is not installed (apt-get install apache2-utils)';
  return undefined;
}

export interface LocalRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  dir: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function startRegistry(opts: { user?: string; password?: string } = {}): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-registry-'));
  const auth: string[] = [];
  if (opts.user !== undefined) {
    // The registry only accepts bcrypt entries; htpasswd -B writes them.
    const r = spawnSync('htpasswd', ['-Bbn', opts.user, opts.password ?? ''], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), `${r.stdout.trim()}\n`);
    auth.push('auth:', '  htpasswd:', '    realm: skiff-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: info',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      '  addr: 127.0.0.1:0',
      ...auth,
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out = (out + d).slice(-200_000)));
  proc.stderr!.on('data', (d) => (out = (out + d).slice(-200_000)));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const host = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`docker-registry did not start listening in 20 s:\n${out}`)), 20_000);
      const check = () => {
        // distribution logs the address it bound: `listening on 127.0.0.1:41234`
        const m = /listening on (127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`docker-registry exited with ${code}:\n${out}`));
      });
    });
    return { host, dir, logs: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
