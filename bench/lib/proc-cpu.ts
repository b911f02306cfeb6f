// CPU time a process and its descendants have used (user + system, from /proc), so a bench
// can report CPU per request beside requests/s: on a machine other work shares, throughput
// follows the scheduler, CPU per request much less.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Fields after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Seconds of CPU used so far by `pid` and every live descendant of it. */
export function cpuSeconds(pid: number): number {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const p = Number(name);
    if (!Number.isInteger(p)) continue;
    const f = statFields(p);
    if (!f) continue;
    const ppid = Number(f[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), p]);
  }
  let ticks = 0;
  const todo = [pid];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    const f = statFields(p);
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    if (f) ticks += Number(f[11]) + Number(f[12]);
    todo.push(...(children.get(p) ?? []));
  }
  return ticks / TICKS;
}
