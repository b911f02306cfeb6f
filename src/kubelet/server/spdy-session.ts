// A SPDY/3.1 connection over a socket, as moby/spdystream runs it: streams are opened with
// SYN_STREAM (odd ids from the client, even from the server) and answered with SYN_REPLY;
// each side half-closes its direction with FIN; PINGs are echoed; GOAWAY ends the session.
// spdystream does no flow control (it ignores WINDOW_UPDATE and never sends one), so
// neither does this.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  controlFrame,
  dataFrames,
  FLAG_FIN,
  FrameParser,
  FrameType,
  HeaderCompressor,
  HeaderDecompressor,
  type ControlFrame,
  type Frame,
  type Headers,
} from './spdy-frames.js';

const RST_CANCEL = 5;

export class SpdyStream extends EventEmitter {
  /** Headers of the reply (our streams) or of the SYN_STREAM (the peer's streams). */
  headers: Headers = {};
  private localClosed = false;
  private remoteClosed = false;
  private resetDone = false;

  constructor(
    readonly id: number,
    private readonly session: SpdySession,
    readonly requestHeaders: Headers,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.localClosed || this.resetDone || !data.length) return;
    this.session.sendData(this.id, data, false);
  }

  /** Half-closes our direction: the peer reads EOF (this is how stdin ends). */
  end(): void {
    if (this.localClosed || this.resetDone) return;
    this.localClosed = true;
    this.session.sendData(this.id, Buffer.alloc(0), true);
    this.maybeDone();
  }

  reset(): void {
    if (this.resetDone) return;
    this.resetDone = true;
    this.session.sendReset(this.id, RST_CANCEL);
    this.finish();
  }

  /** @internal */
  onData(data: Buffer, fin: boolean): void {
    if (data.length) this.emit('data', data);
    if (fin) this.onRemoteFin();
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.emit('end');
    this.maybeDone();
  }

  /** @internal */
  onReset(): void {
    this.resetDone = true;
    if (!this.remoteClosed) {
      this.remoteClosed = true;
      this.emit('end');
    }
    this.finish();
  }

  private maybeDone(): void {
    if (this.localClosed && this.remoteClosed) this.finish();
  }

  private finish(): void {
    this.session.forget(this.id);
    this.emit('close');
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
  error: [Error];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private nextId: number;
  // Writes and reads each go through one chain: header compression is asynchronous, and a
  // stream's data must never overtake its SYN_STREAM on the wire.
  private writeChain: Promise<unknown> = Promise.resolve();
  private readChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    readonly role: 'client' | 'server',
  ) {
    super();
    this.nextId = role === 'client' ? 1 : 2;
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.parser.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      for (const f of frames) this.readChain = this.readChain.then(() => this.onFrame(f)).catch((err) => this.fail(err as Error));
    });
    socket.on('end', () => void this.readChain.then(() => this.shutdown()));
    socket.on('close', () => void this.readChain.then(() => this.shutdown()));
    socket.on('error', (err) => this.fail(err));
  }

  /** Opens a stream with these headers; its reply headers arrive as `headers` and 'reply'. */
  openStream(headers: Headers): SpdyStream {
    if (this.closed) throw new Error('SPDY session is closed');
    const id = this.nextId;
    this.nextId += 2;
    const s = new SpdyStream(id, this, headers);
    this.streams.set(id, s);
    this.enqueue(async () => {
      const block = await this.compressor.compress(headers);
      const head = Buffer.alloc(10);
      head.writeUInt32BE(id, 0);
      head.writeUInt32BE(0, 4); // no associated stream
      head[8] = 0; // priority 0, slot 0
      return [controlFrame(FrameType.SynStream, 0, Buffer.concat([head, block]))];
    });
    return s;
  }

  /** Bytes written to the socket and not yet sent: the sender should wait above a limit. */
  get backlog(): number {
    return this.socket.writableLength;
  }

  /** Calls `fn` once the socket has drained its backlog. */
  onDrain(fn: () => void): void {
    this.socket.once('drain', fn);
  }

  /** Stops (or resumes) reading from the peer, when the reader of our streams is slow. */
  pauseReading(paused: boolean): void {
    if (paused) this.socket.pause();
    else this.socket.resume();
  }

  /** Sends GOAWAY and closes the socket once everything queued is written. */
  close(): void {
    if (this.closed) return;
    this.enqueue(async () => {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(this.lastPeerId, 0);
      return [controlFrame(FrameType.GoAway, 0, p)];
    });
    void this.writeChain.then(() => this.socket.end());
  }

  destroy(): void {
    this.socket.destroy();
    this.shutdown();
  }

  private lastPeerId = 0;

  /** @internal */
  sendData(id: number, data: Buffer, fin: boolean): void {
    this.enqueue(async () => dataFrames(id, data, fin));
  }

  /** @internal */
  sendReset(id: number, status: number): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(id, 0);
    p.writeUInt32BE(status, 4);
    this.enqueue(async () => [controlFrame(FrameType.RstStream, 0, p)]);
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  private enqueue(make: () => Promise<Buffer[]>): void {
    this.writeChain = this.writeChain
      .then(async () => {
        if (this.closed || this.socket.destroyed) return;
        const bufs = await make();
        this.socket.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs));
      })
      .catch((err) => this.fail(err as Error));
  }

  private async onFrame(f: Frame): Promise<void> {
    if (!f.control) {
      const s = this.streams.get(f.streamId);
      // Data for a stream we do not know is dropped, as spdystream does.
      s?.onData(f.data, (f.flags & FLAG_FIN) !== 0);
      return;
    }
    await this.onControl(f);
  }

  private async onControl(f: ControlFrame): Promise<void> {
    const p = f.payload;
    switch (f.type) {
      case FrameType.SynStream: {
        if (p.length < 10) throw new Error('SPDY SYN_STREAM too short');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decompressor.decompress(p.subarray(10));
        this.lastPeerId = Math.max(this.lastPeerId, id);
        const s = new SpdyStream(id, this, headers);
        s.headers = headers;
        this.streams.set(id, s);
        this.enqueue(async () => {
          const block = await this.compressor.compress({});
          return [controlFrame(FrameType.SynReply, 0, Buffer.concat([u32(id), block]))];
        });
        this.emit('stream', s);
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case FrameType.SynReply:
      case FrameType.Headers: {
        if (p.length < 4) throw new Error('SPDY SYN_REPLY too short');
        const id = p.readUInt32BE(0) & 0x7fffffff;
        // Always inflated, even for unknown streams: the zlib context spans the connection.
        const headers = await this.decompressor.decompress(p.subarray(4));
        const s = this.streams.get(id);
        if (!s) return;
        s.headers = { ...s.headers, ...headers };
        if (f.type === FrameType.SynReply) s.emit('reply', headers);
        if (f.flags & FLAG_FIN) s.onRemoteFin();
        return;
      }
      case FrameType.RstStream: {
        if (p.length < 8) throw new Error('SPDY RST_STREAM too short');
        this.streams.get(p.readUInt32BE(0) & 0x7fffffff)?.onReset();
        return;
      }
      case FrameType.Ping: {
        if (p.length < 4) throw new Error('SPDY PING too short');
        const id = p.readUInt32BE(0);
        // Echo the peer's pings (ids of the other parity); ours we never send.
        const peerParity = this.role === 'client' ? 0 : 1;
        if (id % 2 === peerParity) this.enqueue(async () => [controlFrame(FrameType.Ping, 0, p)]);
        return;
      }
      case FrameType.GoAway:
        this.shutdown();
        this.socket.end();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown types carry nothing this side acts on.
        return;
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    if (this.listenerCount('error')) this.emit('error', err);
    this.destroy();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) s.onReset();
    this.streams.clear();
    this.compressor.close();
    this.decompressor.close();
    this.emit('close');
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}
