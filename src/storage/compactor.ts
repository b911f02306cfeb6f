// Periodic compaction the way kube-apiserver does it: at each tick, drop the history
// older than the revision seen at the previous tick, so watchers always have at least
// one interval to catch up, whatever the backend.

import { parseGoDuration } from '../util/go-duration.js';
import type { Store } from './store.js';

export interface Compactor {
  stop(): void;
}

export function startCompactor(store: Store, intervalMs: number, onError: (err: Error) => void): Compactor {
  if (intervalMs <= 0) return { stop() {} };
  let previous = 0;
  const timer = setInterval(() => {
    void (async () => {
      try {
        const current = await store.currentRevision();
        if (previous > 0 && previous > (await store.compactedRevision())) await store.compact(previous);
        previous = current;
      } catch (err) {
        onError(err as Error);
      }
    })();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Parses a Go-style duration ("5m", "90s", "1h30m", "250ms") or plain seconds into milliseconds. */
export function parseDuration(s: string): number {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  return parseGoDuration(s) / 1e6;
}
