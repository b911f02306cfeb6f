// Writes one watch stream. Events arrive as Buffers shared by every watcher (serialised once
// per event); this writer keeps its own queue of them and hands the socket one slice at a
// time, waiting for 'drain' in between. So a watcher that reads slowly holds references to
// shared buffers, never its own copy — not even the TLS layer's encrypted one, which covers
// only the slice in flight. A watcher whose queue is past its bound while its socket has not
// drained for a while is closed after the event in progress, as kube-apiserver's cache
// watcher closes one that cannot keep up; the client then watches again from the last
// resourceVersion it saw. (A watch resuming far back gets its replay queued at once: that is
// not falling behind as long as the client keeps reading.)
import type { ServerResponse } from 'node:http';

/** Bytes handed to the socket at once. */
const SLICE_BYTES = 64 * 1024;
/** Events queued (by size) past which a watcher whose socket stalls counts as unable to keep up. */
export const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** How long the socket must have taken nothing for a full queue to close the watcher. */
const STALL_MS = 3_000;
/** Past this many bytes queued the watcher is closed however recently it read. */
const HARD_LIMIT_FACTOR = 16;
/** A watcher being closed gets this long to take the event in progress. */
const CLOSE_GRACE_MS = 10_000;

export class WatchWriter {
  private readonly queue: Buffer[] = [];
  /** Bytes of the head buffer already written. */
  private offset = 0;
  private queued = 0;
  private blocked = false;
  private closing = false;
  private ended = false;
  private lastProgress = Date.now();
  private stallTimer?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxQueuedBytes = MAX_QUEUED_BYTES,
    /** Called once when the writer gives up on a slow client. */
    private readonly onOverflow?: () => void,
  ) {}

  get isClosing(): boolean {
    return this.closing || this.ended;
  }

  push(data: Buffer | string): void {
    if (this.closing || this.ended) return;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    this.queue.push(buf);
    this.queued += buf.length;
    const pending = this.queued - this.offset;
    if (pending > this.maxQueuedBytes * HARD_LIMIT_FACTOR || (pending > this.maxQueuedBytes && Date.now() - this.lastProgress > STALL_MS)) {
      this.overflow();
      return;
    }
    this.pump();
    if (this.queued - this.offset > this.maxQueuedBytes) this.watchStall();
  }

  /**
   * A full queue behind a socket that takes nothing is judged when the stall has lasted,
   * not at the next event: after a burst there may be no next event for a long time.
   */
  private watchStall(): void {
    if (this.stallTimer) return;
    this.stallTimer = setTimeout(
      () => {
        this.stallTimer = undefined;
        if (this.closing || this.ended || this.res.destroyed || this.queued - this.offset <= this.maxQueuedBytes) return;
        if (Date.now() - this.lastProgress >= STALL_MS) this.overflow();
        else this.watchStall();
      },
      Math.max(1, STALL_MS - (Date.now() - this.lastProgress)),
    );
    this.stallTimer.unref();
  }

  /** Ends the stream once what is queued has been written. */
  end(): void {
    if (this.ended) return;
    this.closing = true;
    this.pump();
  }

  private overflow(): void {
    this.closing = true;
    // Only the event already begun is finished: the client must never see half a line.
    const head = this.offset > 0 ? this.queue[0] : undefined;
    this.queue.length = 0;
    this.queued = 0;
    if (head) {
      this.queue.push(head);
      this.queued = head.length;
    } else this.offset = 0;
    const t = setTimeout(() => this.res.destroy(), CLOSE_GRACE_MS);
    t.unref();
    this.res.once('close', () => clearTimeout(t));
    this.onOverflow?.();
    this.pump();
  }

  private pump(): void {
    while (!this.blocked && this.queue.length) {
      if (this.res.destroyed) return;
      const head = this.queue[0]!;
      const end = Math.min(head.length, this.offset + SLICE_BYTES);
      this.lastProgress = Date.now();
      const ok = this.res.write(this.offset === 0 && end === head.length ? head : head.subarray(this.offset, end));
      if (end === head.length) {
        this.queue.shift();
        this.queued -= head.length;
        this.offset = 0;
      } else this.offset = end;
      if (!ok) {
        this.blocked = true;
        this.res.once('drain', () => {
          this.blocked = false;
          this.lastProgress = Date.now();
          this.pump();
        });
        return;
      }
    }
    if (this.closing && !this.queue.length && !this.ended) {
      this.ended = true;
      this.res.end();
    }
  }
}
