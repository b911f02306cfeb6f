// The CRI container log format, as containerd writes it for the kubelet: one entry per line,
// `<RFC3339Nano time> <stdout|stderr> <F|P> <message>`, where P marks a fragment of a longer
// line that the following entries continue (the runtime splits lines it cannot buffer).

import { formatTimeNs, parseTimeNs } from '../../util/time.js';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  /** The time as written in the file. */
  time: string;
  /** Nanoseconds since the epoch, for since-time comparisons. */
  ns: bigint;
  stream: LogStream;
  /** True for a fragment (P) that the next entry continues. */
  partial: boolean;
  message: Buffer;
}

const SPACE = 0x20;

/**
 * Parses one line (without its newline). Undefined for a line that is not in the format,
 * which readers skip as the kubelet does not crash on a damaged file either.
 */
export function parseLogLine(line: Buffer): LogEntry | undefined {
  const a = line.indexOf(SPACE);
  if (a <= 0) return undefined;
  const b = line.indexOf(SPACE, a + 1);
  if (b < 0) return undefined;
  const time = line.subarray(0, a).toString('latin1');
  const stream = line.subarray(a + 1, b).toString('latin1');
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const ns = parseTimeNs(time);
  if (ns === undefined) return undefined;
  // The tag field may carry more than F/P in later formats (`F:x`); its first letter decides.
  const c = line.indexOf(SPACE, b + 1);
  const tag = line.subarray(b + 1, c < 0 ? line.length : c).toString('latin1');
  if (!tag) return undefined;
  const partial = tag.split(':')[0] === 'P';
  const message = c < 0 ? Buffer.alloc(0) : line.subarray(c + 1);
  return { time, ns, stream, partial, message };
}

export interface LogFormatOptions {
  /** Prefix each line with its time. */
  timestamps?: boolean;
  /** Only entries at or after this time (ns since epoch). */
  sinceNs?: bigint;
}

/**
 * Turns entries into the bytes `kubectl logs` prints: fragments joined, a newline after each
 * full entry, and a time prefix on the first fragment of each line when asked.
 */
export class LogFormatter {
  private midLine = false;

  constructor(private readonly opts: LogFormatOptions = {}) {}

  format(e: LogEntry): Buffer | undefined {
    if (this.opts.sinceNs !== undefined && e.ns < this.opts.sinceNs) return undefined;
    const parts: Buffer[] = [];
    if (this.opts.timestamps && !this.midLine) parts.push(Buffer.from(`${formatTimeNs(e.ns)} `));
    parts.push(e.message);
    if (!e.partial) parts.push(Buffer.from('\n'));
    this.midLine = e.partial;
    return Buffer.concat(parts);
  }
}

/** Splits a byte chunk into complete lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lines: Buffer[] = [];
    let start = 0;
    for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, start)) {
      lines.push(buf.subarray(start, i));
      start = i + 1;
    }
    this.rest = Buffer.from(buf.subarray(start));
    return lines;
  }

  /** Bytes of a line not yet ended by a newline (the writer is mid-write). */
  get pending(): number {
    return this.rest.length;
  }
}

/**
 * The entries that make up the last `n` lines, counting a run of fragments and the full entry
 * that ends it as one line (an unfinished run at the end counts as a line too).
 */
export function lastLines(entries: LogEntry[], n: number): LogEntry[] {
  let i = entries.length;
  for (let count = 0; count < n && i > 0; count++) {
    // The line ending at i-1: its full entry (absent for an unfinished run) and the fragments before it.
    let j = i - 1;
    if (!entries[j]!.partial) j--;
    while (j >= 0 && entries[j]!.partial) j--;
    i = j + 1;
  }
  return entries.slice(i);
}
