// Child processes this process started (containerd, ctr image imports), so that a stop at
// any moment — even in the middle of start-up, before the components that own them are
// wired to a shutdown — can end every one of them instead of leaving them to init.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Remembers `child` until it exits. */
export function trackChild<T extends ChildProcess>(child: T): T {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return child;
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}
/** SIGTERM to every tracked child, SIGKILL to those still there after `graceMs`; resolves when all are gone. */
export async function stopChildren(graceMs = 5_000): Promise<void> {
  const children = [...live];
  if (!children.length) return;
  const gone = children.map((c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()))));
  for (const c of children) c.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }, graceMs);
  await Promise.all(gone);
  clearTimeout(timer);
}
