// Reads a container's CRI log file the way `kubectl logs` wants it: the last N lines, since
// a time, with time prefixes, at most N bytes, and — when following — the lines written
// afterwards, across the runtime's log rotation, until the container exits or the reader
// goes away.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { LineSplitter, LogFormatter, lastLines, parseLogLine, type LogEntry, type LogFormatOptions } from './cri-log.js';

export interface ContainerLogOptions extends LogFormatOptions {
  tailLines?: number;
  limitBytes?: number;
  follow?: boolean;
}

export interface FollowControl {
  /** Whether the container may still write; following stops once it does not and the file is drained. */
  isRunning(): Promise<boolean>;
  signal?: AbortSignal;
  /** How often a followed file is checked for growth and rotation; default 200 ms. */
  pollMs?: number;
}

/** Takes a chunk of output; resolves when more may be written (back-pressure). */
export type LogSink = (chunk: Buffer) => Promise<void>;

const CHUNK = 64 * 1024;

class LimitedSink {
  private written = 0;

  constructor(
    private readonly sink: LogSink,
    private readonly limit: number | undefined,
  ) {}

  get full(): boolean {
    return this.limit !== undefined && this.written >= this.limit;
  }

  async write(b: Buffer): Promise<void> {
    if (this.full || !b.length) return;
    const room = this.limit === undefined ? b.length : Math.min(b.length, this.limit - this.written);
    this.written += room;
    await this.sink(room === b.length ? b : b.subarray(0, room));
  }
}

async function inode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

async function readAll(fh: FileHandle, from: number, each: (b: Buffer) => Promise<boolean>): Promise<number> {
  let pos = from;
  const buf = Buffer.alloc(CHUNK);
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
    if (bytesRead === 0) return pos;
    pos += bytesRead;
    if (!(await each(Buffer.from(buf.subarray(0, bytesRead))))) return pos;
  }
}

/**
 * Writes the log at `path` to `sink`. Without `follow` it returns at the end of the file;
 * with it, it keeps going until the container has exited and the file is drained, or the
 * signal aborts.
 */
export async function readContainerLog(path: string, opts: ContainerLogOptions, sink: LogSink, follow?: FollowControl): Promise<void> {
  const out = new LimitedSink(sink, opts.limitBytes);
  const fmt = new LogFormatter(opts);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new Error(`failed to open log file "${path}": ${(err as Error).message}`);
  }
  try {
    let splitter = new LineSplitter();
    const emit = async (lines: Buffer[]) => {
      for (const line of lines) {
        const e = parseLogLine(line);
        const b = e && fmt.format(e);
        if (b) await out.write(b);
        if (out.full) return false;
      }
      return true;
    };

    // The first pass: everything present now. Only a tail needs it all in memory first;
    // otherwise entries go out as they are read.
    const tail = opts.tailLines !== undefined && opts.tailLines >= 0 ? opts.tailLines : undefined;
    const entries: LogEntry[] = [];
    let more = true;
    let pos = await readAll(fh, 0, async (chunk) => {
      const lines = splitter.push(chunk);
      if (tail === undefined) return (more = await emit(lines));
      for (const line of lines) {
        const e = parseLogLine(line);
        if (e) entries.push(e);
      }
      return true;
    });
    if (!more) return;
    for (const e of tail === undefined ? [] : lastLines(entries, tail)) {
      const b = fmt.format(e);
      if (b) await out.write(b);
      if (out.full) return;
    }
    if (!opts.follow || !follow) return;

    const pollMs = follow.pollMs ?? 200;
    const signal = follow.signal;
    let ino = (await fh.stat()).ino;
    for (;;) {
      if (signal?.aborted || out.full) return;
      pos = await readAll(fh, pos, async (chunk) => (more = await emit(splitter.push(chunk))));
      if (!more) return;
      // Rotation: the runtime renamed our file away and writes a fresh one under the path.
      const now = await inode(path);
      if (now !== undefined && now !== ino) {
        await fh.close();
        fh = await open(path, 'r');
        ino = (await fh.stat()).ino;
        pos = 0;
        splitter = new LineSplitter();
        continue;
      }
      if (!(await follow.isRunning())) {
        // A last read: the container may have written its final lines after our previous pass.
        await readAll(fh, pos, async (chunk) => emit(splitter.push(chunk)));
        return;
      }
      // The reader may have gone during the awaits above: an abort event that already fired never fires again.
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, pollMs);
        function done() {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}
