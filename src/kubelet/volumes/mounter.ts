// The few mount operations volumes need — tmpfs for memory-backed volumes and secrets —
// through the system's mount/umount commands, and the list of mounts below a directory
// from /proc/self/mountinfo so that teardown finds every one it must undo.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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
  async mountTmpfs(target: string, sizeBytes?: number): Promise<void> {
    const opts = ['mode=0755', ...(sizeBytes && sizeBytes > 0 ? [`size=${sizeBytes}`] : [])].join(',');
    try {
      await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', target], { timeout: 10_000 });
    } catch (err) {
      throw new Error(`mounting tmpfs at ${target}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
    }
  }

  async unmount(target: string): Promise<void> {
    try {
      await run('umount', [target], { timeout: 10_000 });
    } catch (err) {
      throw new Error(`unmounting ${target}: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`);
    }
  }

  async mountsUnder(dir: string): Promise<string[]> {
    const root = path.resolve(dir);
    const all = parseMountPoints(await readFile('/proc/self/mountinfo', 'utf8'));
    const under = all.filter((m) => m === root || m.startsWith(root + path.sep));
    return [...new Set(under)].sort((a, b) => b.length - a.length);
  }
}
