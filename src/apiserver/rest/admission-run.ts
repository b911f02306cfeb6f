// Running admission hooks in order. Most hooks do nothing for most writes and answer
// synchronously; awaiting each of them would cost a microtask turn per hook on every write.

/** Runs `hooks` in order with `args`; a promise only if some hook returned one (then from that hook on). */
export function runHooks<A extends unknown[]>(hooks: readonly ((...args: A) => Promise<void> | void)[], ...args: A): Promise<void> | undefined {
  for (let i = 0; i < hooks.length; i++) {
    const pending = hooks[i]!(...args);
    if (pending) return pending.then(() => runHooks(hooks.slice(i + 1), ...args));
  }
  return undefined;
}
