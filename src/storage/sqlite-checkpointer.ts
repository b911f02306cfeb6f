// Moves SQLite's WAL checkpoints off the request path. With the default auto-checkpoint,
// the write that fills the WAL past 1,000 pages copies it into the database file inside
// its own commit (10-15 ms for big objects): that write's latency is the server's p99. A
// worker thread with its own connection checkpoints passively every interval instead,
// which WAL mode allows concurrently with the writer; a large auto-checkpoint threshold
// stays as a backstop should the worker ever stop.
import Database from 'better-sqlite3';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs: number): Checkpointer {
  const worker = new Worker(new URL(import.meta.url), { workerData: { skiffCheckpointer: true, path, intervalMs } });
  worker.unref();
  // A failing checkpointer only loses the optimisation: the backstop threshold still applies.
  worker.on('error', () => {});
  return {
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
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
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
