// The node network drives the kernel through its usual tools (ip, bridge, iptables-restore,
// nft): one small runner, so every failure carries the command line and what the tool said,
// and tests can watch the commands without a kernel.
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type CommandRunner = (cmd: string, args: string[], input?: string) => Promise<CommandResult>;

export const runCommand: CommandRunner = (cmd, args, input) =>
  new Promise((res) => {
    const child = execFile(cmd, args, { timeout: 30_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      res({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
    child.stdin?.on('error', () => {});
    if (input !== undefined) child.stdin?.end(input);
  });

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: string[],
    readonly result: CommandResult,
  ) {
    super(`${cmd} ${args.join(' ')} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  }
}

/** Runs and throws a CommandError unless the tool exits 0. */
export async function mustRun(run: CommandRunner, cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, input);
  if (r.code !== 0) throw new CommandError(cmd, args, r);
  return r.stdout;
}

/** `ip -j …` / `bridge -j …` output; an empty answer is an empty list. */
export async function runJson<T>(run: CommandRunner, cmd: string, args: string[]): Promise<T[]> {
  const out = (await mustRun(run, cmd, args)).trim();
  if (!out) return [];
  return JSON.parse(out) as T[];
}
