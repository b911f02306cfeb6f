// Group commit for the SQLite store: a write is acknowledged only once its WAL frames are
// on disk. SQLite's synchronous=NORMAL leaves commits in the page cache (safe from a
// killed process, not from a power cut); synchronous=FULL would fsync inside every commit
// on the event loop. Instead the store commits as before and then waits for a barrier: one
// fsync of the WAL file in libuv's thread pool covers every commit made before it started,
// so writes arriving while one fsync runs share the next.
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

export class WalSync {
  private readonly fd: number;
  private running?: Promise<void>;
  private queued?: Promise<void>;
  /** fsyncs completed: fewer than the writes they covered when writes come together. */
  syncs = 0;

  /** `walPath`: the database's `-wal` file, which exists once the database is in WAL mode. */
  constructor(walPath: string) {
    this.fd = openSync(walPath, 'r+');
    // The WAL file's directory entry must survive too, or a synced file can vanish with it.
    const dir = openSync(dirname(walPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** Resolves when every commit made before this call is durable. */
  barrier(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return (this.running = this.sync());
    // The fsync in flight may have started before this commit: the next one covers it.
    const next = (): Promise<void> => {
      this.queued = undefined;
      return (this.running = this.sync());
    };
    this.queued = this.running.then(next, next);
    return this.queued;
  }

  /** The fsync in progress (or the one queued after it), if any: settles when it ends. */
  busy(): Promise<void> | undefined {
    return this.queued ?? this.running;
  }

  private sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      fsync(this.fd, (err) => {
        this.running = undefined;
        this.syncs++;
        if (err) reject(new Error(`fsync of the SQLite WAL failed: ${err.message}`));
        else resolve();
      });
    });
  }

  /** After the last write's barrier has resolved. */
  close(): void {
    closeSync(this.fd);
  }
}
