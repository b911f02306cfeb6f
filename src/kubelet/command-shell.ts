// Host commands the node agent runs on every pod start (mount, umount) go through one
// long-lived /bin/sh instead of a spawn each: a spawn forks the whole Node process, which
// holds its event loop in proportion to the process's size (2.7 ms at 45 MiB RSS, 5.3 ms at
// 87 MiB here; a server of ~200 MiB starting 100 pods lost 1.6 s of its loop to mount
// spawns), while the shell forks only itself. Commands run one at a time, in order.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

export interface CommandResult {
  /** Exit status (128 + n when killed by signal n, as the shell reports it). */
  code: number;
  /** stdout and stderr together. */
  output: string;
}

interface Job {
  argv: readonly string[];
  timeoutMs: number;
  resolve(r: CommandResult): void;
  reject(err: Error): void;
}

/** One argument as a single-quoted shell word: nothing inside is interpreted. */
export function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export class CommandShell {
  private sh?: ChildProcess;
  private marker = '';
  private buf = '';
  private readonly queue: Job[] = [];
  private current?: Job;
  private timer?: NodeJS.Timeout;

  constructor(private readonly shellPath = '/bin/sh') {}

  /** Runs `argv` (no shell syntax is interpreted in it) with stdin from /dev/null. */
  run(argv: readonly string[], timeoutMs = 10_000): Promise<CommandResult> {
    if (!argv.length) return Promise.reject(new Error('no command given'));
    return new Promise((resolve, reject) => {
      this.queue.push({ argv, timeoutMs, resolve, reject });
      if (!this.current) this.next();
    });
  }

  /** Ends the shell; a command in flight fails. */
  close(): void {
    for (const job of this.queue.splice(0)) job.reject(new Error(`${job.argv[0]}: the command shell was closed`));
    this.kill(new Error('the command shell was closed'));
  }

  private next(): void {
    const job = this.queue.shift();
    this.current = job;
    if (!job) {
      this.hold(false);
      return;
    }
    const sh = this.sh ?? this.start();
    this.hold(true);
    this.timer = setTimeout(() => this.kill(new Error(`${job.argv[0]} did not finish within ${job.timeoutMs} ms`)), job.timeoutMs);
    // The marker is printed on a line of its own after the command, with its status.
    sh.stdin!.write(`${job.argv.map(shellQuote).join(' ')} </dev/null 2>&1; printf '\\n%s %d\\n' ${this.marker} $?\n`);
  }

  private start(): ChildProcess {
    this.marker = `__skiff_status_${randomBytes(8).toString('hex')}`;
    this.buf = '';
    const sh = spawn(this.shellPath, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.sh = sh;
    sh.stdout!.setEncoding('utf8');
    sh.stdout!.on('data', (chunk: string) => this.read(chunk));
    sh.stderr!.resume();
    sh.stdin!.on('error', () => {}); // a dead shell is reported by 'exit'
    sh.on('error', (err) => this.lost(sh, err));
    sh.on('exit', (code, signal) => this.lost(sh, new Error(`the command shell exited (${signal ?? code})`)));
    return sh;
  }

  private read(chunk: string): void {
    this.buf += chunk;
    const job = this.current;
    if (!job) return;
    const at = this.buf.indexOf(`\n${this.marker} `);
    if (at < 0) return;
    const end = this.buf.indexOf('\n', at + 1);
    if (end < 0) return;
    const code = Number(this.buf.slice(at + 1 + this.marker.length + 1, end));
    const output = this.buf.slice(0, at);
    this.buf = this.buf.slice(end + 1);
    clearTimeout(this.timer);
    this.current = undefined;
    job.resolve({ code, output });
    this.next();
  }

  /** The shell died or was killed: the command in flight fails, the next one gets a new shell. */
  private lost(sh: ChildProcess, err: Error): void {
    if (this.sh !== sh) return;
    this.sh = undefined;
    clearTimeout(this.timer);
    const job = this.current;
    this.current = undefined;
    if (job) job.reject(new Error(`${job.argv.join(' ')}: ${err.message}`));
    if (this.queue.length) this.next();
  }

  private kill(err: Error): void {
    const sh = this.sh;
    if (!sh) return;
    this.lost(sh, err);
    sh.kill('SIGKILL');
  }

  /** A shell with nothing to do keeps no process alive; one with a command in flight does. */
  private hold(busy: boolean): void {
    const sh = this.sh;
    if (!sh) return;
    for (const h of [sh, sh.stdin as unknown as Socket, sh.stdout as unknown as Socket, sh.stderr as unknown as Socket]) {
      if (busy) h?.ref?.();
      else h?.unref?.();
    }
  }
}
