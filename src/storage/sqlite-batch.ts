// Writes that arrive in the same turn of the event loop share one SQLite transaction. A
// commit in WAL mode appends the changed pages and updates the WAL index, which cost more
// than the write's own statements did: one transaction a write was the store's largest
// cost under load. The batch opens at the first write and commits at the end of the turn
// (setImmediate), and its one WAL fsync (wal-sync.ts) then covers every write in it. While
// an fsync runs, the batch stays open until it ends: its writes could not be acknowledged
// before the next fsync anyway, so they all go in one commit and that one fsync.
//
// Each write runs as a savepoint inside the batch (better-sqlite3 nests transaction
// functions that way), so a write that fails its own check (a create of a key that exists,
// an update at a stale revision) undoes only itself, and the others commit. Should SQLite
// abandon the whole transaction (disk full, I/O error), or the commit fail, every write of
// the batch fails: none of them was acknowledged.
import type Database from 'better-sqlite3';
import type { WalSync } from './wal-sync.js';

interface OpenBatch {
  /** Settles once the batch is committed and, with a WalSync, on disk. */
  done: Promise<void>;
  settle: (outcome: Promise<void> | undefined, err?: Error) => void;
}

export class WriteBatch {
  private open?: OpenBatch;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  /** Batches committed, fewer than the writes in them when writes come together. */
  commits = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly walSync?: WalSync,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /**
   * Runs `write` (a better-sqlite3 transaction function) in the open batch, opening one if
   * none is. Throws what `write` throws, having undone only that write; else returns its
   * result and a promise that resolves once the batch holding it is durable.
   */
  add<T>(write: () => T): { result: T; durable: Promise<void> } {
    const batch = this.open ?? this.start();
    try {
      return { result: write(), durable: batch.done };
    } catch (err) {
      // SQLite rolls the whole transaction back on some errors (SQLITE_FULL, SQLITE_IOERR):
      // the writes before this one in the batch are gone too.
      if (!this.db.inTransaction && this.open === batch) {
        this.open = undefined;
        batch.settle(undefined, new Error(`the transaction was rolled back by a later write's failure: ${(err as Error).message}`));
      }
      throw err;
    }
  }

  /** Commits the open batch now (before compaction or close, which must not join it). */
  flush(): void {
    const batch = this.open;
    if (!batch) return;
    this.open = undefined;
    try {
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollback.run();
      batch.settle(undefined, new Error(`commit failed: ${(err as Error).message}`));
      return;
    }
    this.commits++;
    batch.settle(this.walSync?.barrier());
  }

  private start(): OpenBatch {
    this.begin.run();
    let settle!: OpenBatch['settle'];
    const done = new Promise<void>((resolve, reject) => {
      settle = (outcome, err) => (err ? reject(err) : resolve(outcome));
    });
    // A batch whose only write failed its check has nobody waiting for it.
    done.catch(() => {});
    const batch: OpenBatch = { done, settle };
    this.open = batch;
    const flush = () => {
      if (this.open === batch) this.flush();
    };
    const fsyncing = this.walSync?.busy();
    if (fsyncing) fsyncing.then(flush, flush);
    else setImmediate(flush);
    return batch;
  }
}
