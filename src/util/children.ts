// Child processes this process started (containerd, ctr image imports), so that a stop at
// any moment — even in the middle of start-up, before the components that own them are
// wired to a shutdown — can end every one of them instead of leaving them to init.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
/** Set once a stop has begun: start-up goes on while it waits, and may still spawn. */
let stopping = false;

/** Remembers `child` until it exits; once a stop has begun, ends it at once. */
export function trackChild<T extends ChildProcess>(child: T): T {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return child;
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (stopping) child.kill('SIGTERM');
  return child;
}

const exited = (c: ChildProcess): Promise<void> => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

/**
 * SIGTERM to every tracked child, SIGKILL to those still there after `graceMs`; resolves
 * when all are gone, including any started while it waited (each is ended as it starts).
 */
export async function stopChildren(graceMs = 5_000): Promise<void> {
  stopping = true;
  const deadline = Date.now() + graceMs;
  while (live.size > 0) {
    const children = [...live];
    for (const c of children) c.kill(Date.now() < deadline ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(
      () => {
        for (const c of live) c.kill('SIGKILL');
      },
      Math.max(0, deadline - Date.now()),
    );
    await Promise.all(children.map(exited));
    clearTimeout(timer);
  }
}
