// Loads a view's code on first use (esbuild splits it into its own chunk), so the first page
// load carries neither xterm.js nor the YAML library.
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError } from './api.js';

export function lazy<P>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | undefined;
  let pending: Promise<FunctionComponent<P>> | undefined;
  return (props: P) => {
    const [, setTick] = useState(0);
    const [error, setError] = useState<unknown>();
    useEffect(() => {
      if (loaded) return;
      pending ??= load();
      pending.then(
        (c) => {
          loaded = c;
          setTick((t) => t + 1);
        },
        (err) => {
          pending = undefined;
          setError(err);
        },
      );
    }, []);
    if (error) return <div class="error">Could not load this view: {describeError(error)}</div>;
    if (!loaded) return <p class="muted">Loading…</p>;
    const C = loaded;
    return <C {...(props as any)} />;
  };
}
