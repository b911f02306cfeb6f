// Supervises the containerd the node agent runs for itself (as k3s does): writes its
// config under DATA_DIR/agent/containerd, starts it, waits until CRI answers, restarts it
// with back-off when it dies, and stops it on shutdown. Containers outlive it: their
// containerd-shim processes keep running and a restarted containerd finds them again.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Logger } from '../../util/log.js';
import { CriRuntime } from './cri/cri-runtime.js';
import { trackChild } from '../../util/children.js';
import { containerdConfigToml, containerdLayout, hasCapSysResource, pickSnapshotter, systemdIsInit, type ContainerdLayout } from './containerd-config.js';

export interface ContainerdSupervisorOptions {
  /** DATA_DIR/agent */
  agentDir: string;
  cniConfDir: string;
  cniBinDir?: string;
  log: Logger;
  /** The containerd binary; default `containerd` from PATH. */
  binary?: string;
  /** How long to wait for CRI to answer after a start; default 60 s. */
  readyTimeoutMs?: number;
}

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A run this long resets the back-off. */
const HEALTHY_RUN_MS = 60_000;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export class ContainerdSupervisor {
  readonly layout: ContainerdLayout;
  private child?: ChildProcess;
  private stopping = false;
  private backoffMs = RESTART_MIN_MS;
  private restartTimer?: NodeJS.Timeout;
  snapshotter?: 'overlayfs' | 'native';

  constructor(private readonly opts: ContainerdSupervisorOptions) {
    this.layout = containerdLayout(opts.agentDir);
  }

  get endpoint(): string {
    return `unix://${this.layout.socket}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Writes the config, starts containerd and resolves once its CRI service answers Version. */
  async start(): Promise<void> {
    const l = this.layout;
    for (const d of [l.dir, l.root, l.state, l.certsDir, this.opts.cniConfDir]) mkdirSync(d, { recursive: true, mode: 0o700 });
    this.snapshotter = pickSnapshotter(l.dir);
    if (this.snapshotter !== 'overlayfs')
      this.opts.log.warn('overlayfs does not mount here; containerd uses the native snapshotter (full copies of each layer)');
    writeFileSync(
      l.config,
      containerdConfigToml({
        layout: l,
        cniConfDir: this.opts.cniConfDir,
        cniBinDir: this.opts.cniBinDir,
        snapshotter: this.snapshotter,
        streamPort: await freePort(),
        systemdCgroup: systemdIsInit(),
        restrictOomScoreAdj: !hasCapSysResource(),
      }),
    );
    this.stopping = false;
    this.spawnOnce();
    try {
      await this.waitReady(this.opts.readyTimeoutMs ?? 60_000);
    } catch (err) {
      // A containerd that never came up is not left restarting in the background.
      await this.stop();
      throw err;
    }
  }

  private spawnOnce(): void {
    const l = this.layout;
    const fd = openSync(l.log, 'a');
    const started = Date.now();
    const child = trackChild(spawn(this.opts.binary ?? 'containerd', ['--config', l.config], { stdio: ['ignore', fd, fd] }));
    closeSync(fd);
    this.child = child;
    this.opts.log.info('containerd started', { pid: child.pid, config: l.config, log: l.log });
    child.once('error', (err) => this.opts.log.error('containerd could not be started', { error: err.message }));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (Date.now() - started >= HEALTHY_RUN_MS) this.backoffMs = RESTART_MIN_MS;
      this.opts.log.error('containerd exited; restarting', { code, signal, inMs: this.backoffMs, log: l.log });
      this.restartTimer = setTimeout(() => {
        if (!this.stopping) this.spawnOnce();
      }, this.backoffMs);
      this.restartTimer.unref?.();
      this.backoffMs = Math.min(RESTART_MAX_MS, this.backoffMs * 2);
    });
  }

  /** Polls CRI Version until it answers, the child exits, or the time is up. */
  private async waitReady(timeoutMs: number): Promise<void> {
    const child = this.child;
    const deadline = Date.now() + timeoutMs;
    let lastError = '';
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`containerd exited during start-up; see ${this.layout.log}`);
      try {
        const rt = await CriRuntime.connect({ endpoint: this.endpoint });
        await rt.close();
        return;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** attempt)));
    }
    throw new Error(`containerd did not answer CRI within ${timeoutMs / 1000} s (${lastError}); see ${this.layout.log}`);
  }

  /** Stops containerd (SIGTERM, SIGKILL after `graceMs`) and waits for it to exit. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    this.opts.log.info('containerd stopped', { pid: child.pid });
  }
}
