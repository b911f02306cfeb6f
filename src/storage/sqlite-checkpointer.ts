// Moves SQLite's WAL checkpoints off the request path. With the default auto-checkpoint,
// the write that fills the WAL past 1,000 pages copies it into the database file inside
// its own commit (10-15 ms for big objects): that write's latency is the server's p99. A
// worker thread with its own connection checkpoints passively instead, which WAL mode
// allows concurrently with the writer; a large auto-checkpoint threshold stays as a
// backstop should the worker ever stop.
//
// The worker checkpoints only once the WAL has grown by about as much as SQLite's own
// threshold, never merely because time passed: a checkpoint that empties the WAL makes the
// next commit start it over, and SQLite syncs a restarted WAL's header inside that commit,
// on the event loop. Checkpointing every tick cost one such fsync per lease renewal on an
// idle server.
import Database from 'better-sqlite3';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface Checkpointer {
  /** Counts a commit of about this many value bytes towards the next checkpoint. */
  wrote(valueBytes: number): void;
  stop(): Promise<void>;
}

/** SQLite's default wal_autocheckpoint, in pages. */
const DEFAULT_THRESHOLD_PAGES = 1000;
const PAGE_BYTES = 4096;
/** Pages a commit touches besides its value: the log row and its index, `current`, meta. */
const PAGES_PER_COMMIT = 3;

export function startCheckpointer(path: string, intervalMs: number, thresholdPages = DEFAULT_THRESHOLD_PAGES): Checkpointer {
  // Pages written since the last checkpoint, shared with the worker: no message per write.
  const pending = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL(import.meta.url), { workerData: { skiffCheckpointer: true, path, intervalMs, thresholdPages, pending } });
  worker.unref();
  // A failing checkpointer only loses the optimisation: the backstop threshold still applies.
  worker.on('error', () => {});
  return {
    wrote(valueBytes) {
      const pages = PAGES_PER_COMMIT + Math.ceil(valueBytes / PAGE_BYTES);
      // Saturates rather than wraps should the worker have died.
      if (Atomics.load(pending, 0) < 0x3fffffff) Atomics.add(pending, 0, pages);
    },
    async stop() {
      worker.postMessage('stop');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => void worker.terminate().then(() => resolve()), 1000);
        worker.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}

if (!isMainThread && workerData?.skiffCheckpointer) {
  const db = new Database(workerData.path as string);
  db.pragma('busy_timeout = 1000');
  const pending = workerData.pending as Int32Array;
  const threshold = workerData.thresholdPages as number;
  const timer = setInterval(() => {
    const seen = Atomics.load(pending, 0);
    if (seen < threshold) return;
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
      Atomics.sub(pending, 0, seen);
    } catch {
      // Busy or closing: the next tick tries again.
    }
  }, workerData.intervalMs as number);
  parentPort!.on('message', (m) => {
    if (m !== 'stop') return;
    clearInterval(timer);
    db.close();
    process.exit(0);
  });
}
