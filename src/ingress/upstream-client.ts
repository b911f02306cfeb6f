// Keep-alive HTTP/1.1 connections to upstream endpoints, one request at a time each, reused
// last in, first out. It replaces http.request with an Agent on the proxy's hot path: that
// pair attaches and removes a dozen listeners and builds a ClientRequest, a parser and an
// IncomingMessage for every request, which profiled as most of the proxy's CPU per request.
// Here a connection gets its listeners once for its whole life, and a request is one head
// written and one response parsed (response-parser.ts).
import type { OutgoingHttpHeaders } from 'node:http';
import net, { type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ResponseParser, type ResponseHead } from './response-parser.js';

/** How the request body goes upstream: none, as is under its Content-Length, or re-chunked. */
export type BodyFraming = 'none' | 'length' | 'chunked';

export interface UpstreamRequest {
  host: string;
  port: number;
  /** host:port; connections are pooled per key. */
  key: string;
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body: BodyFraming;
  /** connectMs: to establish a new connection; idleMs: no bytes either way for this long fails the request (EIDLE). */
  timeouts: { connectMs: number; idleMs: number };
}

export interface ExchangeHandlers {
  /** A connection carries the request now (new or reused); the head has been written. */
  connected(x: Exchange): void;
  head(h: ResponseHead): void;
  /** false: the client is not keeping up; call resume() once it has drained. */
  data(chunk: Buffer): boolean;
  end(): void;
  /** Not called after end() or destroy(). */
  error(err: NodeJS.ErrnoException): void;
}

export interface PoolOptions {
  /** Idle connections kept per endpoint. */
  maxFree?: number;
}

// As Node's client: only these methods go without a Content-Length: 0 when they have no body.
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
const INVALID_PATH = /[^\u0021-\u00ff]/;

const withCode = (message: string, code: string): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

class Conn {
  exchange: Exchange | undefined;
  /** When the upstream will have closed it idle (from its Keep-Alive: timeout=N, less a second). */
  expires = Number.POSITIVE_INFINITY;
  /** The socket's inactivity timeout; a pooled connection idle this long is closed too. */
  idleMs = 0;
  constructor(
    readonly socket: Socket,
    readonly key: string,
  ) {}
}

export class Exchange {
  /** The request went out on a connection an earlier request used. */
  reused = false;
  private conn: Conn | undefined;
  private readonly parser: ResponseParser;
  private over = false;
  private bodySent: boolean;
  private body: Readable | undefined;
  private keepAlive = false;
  private idleSeconds: number | undefined;
  readonly head: string;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly req: UpstreamRequest,
    private readonly h: ExchangeHandlers,
  ) {
    if (INVALID_PATH.test(req.path)) throw withCode(`request path ${JSON.stringify(req.path)} contains unescaped characters`, 'ERR_UNESCAPED_CHARACTERS');
    let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
    for (const name in req.headers) {
      const v = req.headers[name];
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v) head += `${name}: ${one}\r\n`;
      else head += `${name}: ${v}\r\n`;
    }
    if (req.body === 'chunked') head += 'transfer-encoding: chunked\r\n';
    else if (req.body === 'none' && req.headers['content-length'] === undefined && !NO_BODY_METHODS.has(req.method)) head += 'content-length: 0\r\n';
    this.head = `${head}\r\n`;
    this.bodySent = req.body === 'none';
    this.parser = new ResponseParser(req.method, {
      head: (r) => {
        this.keepAlive = r.keepAlive;
        this.idleSeconds = r.idleSeconds;
        this.h.head(r);
      },
      body: (chunk) => {
        if (!this.over && !this.h.data(chunk)) this.conn?.socket.pause();
      },
      end: () => this.complete(),
    });
  }

  /** Streams the client's request body upstream, framed as the request said; call once connected. */
  pump(src: Readable): void {
    this.body = src;
    src.on('data', this.onBodyData);
    src.once('end', this.onBodyEnd);
  }

  /** Reading resumes after data() returned false. */
  resume(): void {
    if (!this.over) this.conn?.socket.resume();
  }

  /** Gives up the request (the client went away, a deadline passed): its connection is closed, no handler runs. */
  destroy(): void {
    if (this.over) return;
    this.over = true;
    this.unpump();
    this.conn?.socket.destroy();
  }

  attach(conn: Conn, reused: boolean): void {
    this.conn = conn;
    conn.exchange = this;
    this.reused = reused;
  }

  onConnect(): void {
    if (this.over) return;
    this.conn!.socket.write(this.head, 'latin1');
    this.h.connected(this);
  }

  onData(chunk: Buffer): void {
    try {
      this.parser.feed(chunk);
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
  }

  onEof(): void {
    try {
      this.parser.eof();
    } catch (err) {
      this.fail(err as NodeJS.ErrnoException);
    }
  }

  onDrain(): void {
    this.body?.resume();
  }

  fail(err: NodeJS.ErrnoException): void {
    if (this.over) return;
    this.over = true;
    this.unpump();
    if (this.conn) {
      this.conn.exchange = undefined;
      this.conn.socket.destroy();
    }
    this.h.error(err);
  }

  private readonly onBodyData = (chunk: Buffer) => {
    const s = this.conn!.socket;
    let ok: boolean;
    if (this.req.body === 'chunked') {
      if (chunk.length === 0) return;
      s.cork();
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
      s.uncork();
    } else ok = s.write(chunk);
    if (!ok) this.body?.pause();
  };

  private readonly onBodyEnd = () => {
    if (this.req.body === 'chunked') this.conn?.socket.write('0\r\n\r\n', 'latin1');
    this.bodySent = true;
    this.unpump();
  };

  private unpump(): void {
    this.body?.off('data', this.onBodyData);
    this.body?.off('end', this.onBodyEnd);
    this.body = undefined;
  }

  private complete(): void {
    if (this.over) return;
    this.over = true;
    const conn = this.conn!;
    conn.exchange = undefined;
    // An upstream that answered before the upload ended, or sent bytes past its answer, leaves the connection unusable.
    if (this.bodySent && this.keepAlive && !this.parser.leftover) this.pool.release(conn, this.idleSeconds);
    else {
      this.unpump();
      conn.socket.destroy();
    }
    this.h.end();
  }
}

export class UpstreamPool {
  private readonly free = new Map<string, Conn[]>();
  private readonly all = new Set<Conn>();
  private readonly maxFree: number;

  constructor(o: PoolOptions = {}) {
    this.maxFree = o.maxFree ?? 1024;
  }

  /** Sends a request on an idle connection to its endpoint, or a new one. Throws at once on a path that cannot be sent. */
  request(req: UpstreamRequest, h: ExchangeHandlers): Exchange {
    const x = new Exchange(this, req, h);
    const idle = this.free.get(req.key);
    if (idle && idle.length > 0) {
      const now = Date.now();
      for (let c = idle.pop(); c; c = idle.pop()) {
        if (c.expires > now && !c.socket.destroyed && c.socket.writable) {
          c.socket.ref();
          if (c.idleMs !== req.timeouts.idleMs) c.socket.setTimeout((c.idleMs = req.timeouts.idleMs));
          x.attach(c, true);
          x.onConnect();
          return x;
        }
        c.socket.destroy();
      }
    }
    this.connect(x, req);
    return x;
  }

  release(c: Conn, idleSeconds: number | undefined): void {
    c.expires = idleSeconds ? Date.now() + idleSeconds * 1000 - 1000 : Number.POSITIVE_INFINITY;
    // Idle connections must not keep the process alive.
    c.socket.unref();
    if (c.socket.isPaused()) c.socket.resume();
    let list = this.free.get(c.key);
    if (!list) this.free.set(c.key, (list = []));
    list.push(c);
    if (list.length > this.maxFree) list.shift()!.socket.destroy();
  }

  destroy(): void {
    for (const c of this.all) c.socket.destroy();
  }

  private connect(x: Exchange, req: UpstreamRequest): void {
    const socket = net.connect({ host: req.host, port: req.port });
    const c = new Conn(socket, req.key);
    this.all.add(c);
    x.attach(c, false);
    const timer = setTimeout(
      () => c.exchange?.fail(withCode(`connect to ${req.key} timed out after ${req.timeouts.connectMs} ms`, 'ECONNECTTIMEOUT')),
      req.timeouts.connectMs,
    );
    socket.setNoDelay(true);
    socket.setTimeout((c.idleMs = req.timeouts.idleMs));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setKeepAlive(true, 1000);
      c.exchange?.onConnect();
    });
    socket.on('data', (d: Buffer) => (c.exchange ? c.exchange.onData(d) : socket.destroy()));
    socket.on('end', () => (c.exchange ? c.exchange.onEof() : socket.destroy()));
    socket.on('drain', () => c.exchange?.onDrain());
    socket.on('timeout', () => (c.exchange ? c.exchange.fail(withCode(`no data from ${req.key} for ${c.idleMs} ms`, 'EIDLE')) : socket.destroy()));
    socket.on('error', (err: NodeJS.ErrnoException) => c.exchange?.fail(err));
    socket.once('close', () => {
      clearTimeout(timer);
      this.all.delete(c);
      const list = this.free.get(c.key);
      const i = list ? list.indexOf(c) : -1;
      if (i >= 0) list!.splice(i, 1);
      if (list && list.length === 0) this.free.delete(c.key);
      c.exchange?.fail(withCode('socket hang up', 'ECONNRESET'));
    });
  }
}
