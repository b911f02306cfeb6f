// The few mount operations volumes need — tmpfs for memory-backed volumes and secrets —
// through the system's mount/umount commands (run by a long-lived shell: see
// command-shell.ts), and the list of mounts below a directory from /proc/self/mountinfo so
// that teardown finds every one it must undo.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CommandShell } from '../command-shell.js';

export interface Mounter {
  mountTmpfs(target: string, sizeBytes?: number): Promise<void>;
  unmount(target: string): Promise<void>;
  /** Mount points at or below `dir`, deepest first. */
  mountsUnder(dir: string): Promise<string[]>;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.push(unescapeOctal(f[4]!));
  }
  return out;
}

export class SystemMounter implements Mounter {
  constructor(private readonly shell = new CommandShell()) {}

  private async run(argv: string[], what: string): Promise<void> {
    const r = await this.shell.run(argv).catch((err: Error) => ({ code: -1, output: err.message }));
    if (r.code !== 0) throw new Error(`${what}: ${r.output.trim() || `${argv[0]} exited with ${r.code}`}`);
  }

  async mountTmpfs(target: string, sizeBytes?: number): Promise<void> {
    const opts = ['mode=0755', ...(sizeBytes && sizeBytes > 0 ? [`size=${sizeBytes}`] : [])].join(',');
    await this.run(['mount', '-t', 'tmpfs', '-o', opts, 'tmpfs', target], `mounting tmpfs at ${target}`);
  }

  async unmount(target: string): Promise<void> {
    await this.run(['umount', target], `unmounting ${target}`);
  }

  async mountsUnder(dir: string): Promise<string[]> {
    const root = path.resolve(dir);
    const all = parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8'));
    const under = all.filter((m) => m === root || m.startsWith(root + path.sep));
    return [...new Set(under)].sort((a, b) => b.length - a.length);
  }
}
