// An upstream's HTTP/1.x response, read incrementally off a keep-alive connection: status
// line and headers, then the body by its framing (chunked, Content-Length, or until the
// connection closes). Informational 1xx answers are skipped. The body goes out decoded, in
// the slices it arrived in; the proxy re-frames it for its client.
import type { IncomingHttpHeaders } from 'node:http';

export interface ResponseHead {
  status: number;
  headers: IncomingHttpHeaders;
  /** The connection may carry another request once this response has ended. */
  keepAlive: boolean;
  /** Seconds the upstream keeps an idle connection open (Keep-Alive: timeout=N), if it said. */
  idleSeconds: number | undefined;
}

export interface ResponseSink {
  head(h: ResponseHead): void;
  body(chunk: Buffer): void;
  end(): void;
}

export class ParseError extends Error {
  readonly code = 'HPE_INVALID_RESPONSE';
}

const MAX_HEAD = 64 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
// Later copies of these are dropped, as Node's own client does; other repeats are joined.
const SINGLE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

type State = 'head' | 'fixed' | 'size' | 'data' | 'crlf' | 'trailer' | 'close' | 'done';

export class ResponseParser {
  private state: State = 'head';
  private pending: Buffer | undefined;
  private remaining = 0;

  constructor(
    private readonly method: string,
    private readonly sink: ResponseSink,
  ) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** Bytes read past the end of the response (a misbehaving upstream): the connection is not reusable. */
  leftover = false;

  feed(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'head': {
          const end = buf.indexOf('\r\n\r\n', i, 'latin1');
          if (end < 0) return this.keep(buf, i, MAX_HEAD, 'response headers too large');
          const next = this.head(buf.toString('latin1', i, end));
          i = end + 4;
          this.state = next;
          if (next === 'done') this.finish(buf, i);
          break;
        }
        case 'fixed': {
          const n = Math.min(this.remaining, buf.length - i);
          this.sink.body(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.state = 'done';
            this.finish(buf, i);
          }
          break;
        }
        case 'close':
          this.sink.body(i === 0 ? buf : buf.subarray(i));
          return;
        case 'size': {
          const end = buf.indexOf('\r\n', i, 'latin1');
          if (end < 0) return this.keep(buf, i, 4096, 'chunk size line too long');
          const size = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(buf.toString('latin1', i, end));
          if (!size) throw new ParseError('invalid chunk size line');
          this.remaining = Number.parseInt(size[1]!, 16);
          this.state = this.remaining === 0 ? 'trailer' : 'data';
          i = end + 2;
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          this.sink.body(buf.subarray(i, i + n));
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'crlf';
          break;
        }
        case 'crlf': {
          if (buf.length - i < 2) return this.keep(buf, i, 2, '');
          if (buf[i] !== 13 || buf[i + 1] !== 10) throw new ParseError('chunk not followed by CRLF');
          i += 2;
          this.state = 'size';
          break;
        }
        case 'trailer': {
          // Trailer fields are read past and dropped; an empty line ends the message.
          const end = buf.indexOf('\r\n', i, 'latin1');
          if (end < 0) return this.keep(buf, i, MAX_HEAD, 'trailer too large');
          const empty = end === i;
          i = end + 2;
          if (empty) {
            this.state = 'done';
            this.finish(buf, i);
          }
          break;
        }
        case 'done':
          this.leftover = true;
          return;
      }
    }
  }

  /** The upstream closed its side: the end of a body read until close; otherwise a cut-off response. */
  eof(): void {
    if (this.state === 'close') {
      this.state = 'done';
      this.sink.end();
      return;
    }
    if (this.state !== 'done') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  }

  private keep(buf: Buffer, from: number, limit: number, what: string): void {
    if (buf.length - from > limit) throw new ParseError(what);
    this.pending = buf.subarray(from);
  }

  private finish(buf: Buffer, at: number): void {
    if (at < buf.length) this.leftover = true;
    this.sink.end();
  }

  private head(text: string): State {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) throw new ParseError(`invalid status line ${JSON.stringify(lines[0]!.slice(0, 64))}`);
    const minor = m[1];
    const status = Number(m[2]);
    const headers: IncomingHttpHeaders = {};
    for (let k = 1; k < lines.length; k++) {
      const line = lines[k]!;
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon).toLowerCase() : '';
      if (!TOKEN.test(name)) throw new ParseError(`invalid header line ${JSON.stringify(line.slice(0, 64))}`);
      const value = line.slice(colon + 1).trim();
      if (value.includes('\n') || value.includes('\r') || value.includes('\0')) throw new ParseError(`invalid value of header ${name}`);
      const prior = headers[name];
      if (prior === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (name === 'set-cookie') (prior as string[]).push(value);
      else if (name === 'content-length' && prior !== value) throw new ParseError('conflicting Content-Length headers');
      else if (!SINGLE.has(name)) headers[name] = `${prior}, ${value}`;
    }
    // 1xx answers (100 Continue, 103 Early Hints) come before the real one; 101 only answers an Upgrade.
    if (status < 200) {
      if (status === 101) throw new ParseError('101 Switching Protocols to a request that asked for no upgrade');
      return 'head';
    }
    const conn = String(headers.connection ?? '').toLowerCase();
    let keepAlive = minor === '1' ? !/(?:^|,)\s*close\s*(?:,|$)/.test(conn) : /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(conn);
    const timeout = /timeout=(\d+)/i.exec(String(headers['keep-alive'] ?? ''));
    const idleSeconds = timeout ? Number(timeout[1]) : undefined;
    let next: State;
    if (this.method === 'HEAD' || status === 204 || status === 304) next = 'done';
    else if (headers['transfer-encoding'] !== undefined) {
      const codings = String(headers['transfer-encoding']).toLowerCase().split(',');
      next = codings[codings.length - 1]!.trim() === 'chunked' ? 'size' : 'close';
      // With both, Transfer-Encoding decides (RFC 9112 6.3); the length is not passed on.
      delete headers['content-length'];
    } else if (headers['content-length'] !== undefined) {
      const cl = String(headers['content-length']);
      if (!/^\d{1,15}$/.test(cl)) throw new ParseError(`invalid Content-Length ${JSON.stringify(cl)}`);
      this.remaining = Number(cl);
      next = this.remaining === 0 ? 'done' : 'fixed';
    } else next = 'close';
    if (next === 'close') keepAlive = false;
    this.sink.head({ status, headers, keepAlive, idleSeconds });
    return next;
  }
}
