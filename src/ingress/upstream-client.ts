// Requests to upstream endpoints over undici: a keep-alive Pool per endpoint, each request
// dispatched with a handler object, so the response body goes from undici's parser (llhttp)
// straight to the client's response, without a Readable, an IncomingMessage or a listener
// set per request. Errors come out under the codes the proxy's retry logic reads
// (forward.ts): ECONNECTTIMEOUT for a connect past its deadline, EIDLE for an upstream silent
// past the idle deadline, ECONNRESET for a connection closed under a request.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import { responseHeaders } from './headers.js';

/** How the request body goes upstream: none, as is under its Content-Length, or chunked. */
export type BodyFraming = 'none' | 'length' | 'chunked';

export interface UpstreamRequest {
  host: string;
  port: number;
  /** host:port; connections are pooled per key. */
  key: string;
  method: string;
  path: string;
  /** An object, or a flat list (name, value, …) sent as it is (it must hold no Expect). */
  headers: OutgoingHttpHeaders | string[];
  body: BodyFraming;
  /** The client's request body; read only once a connection carries the request. */
  src?: Readable;
  /** connectMs: to establish a new connection; idleMs: no bytes from the upstream for this long fails the request (EIDLE). */
  timeouts: { connectMs: number; idleMs: number };
}

export class ResponseHead {
  private parsed: IncomingHttpHeaders | undefined;

  constructor(
    readonly status: number,
    /** undici's raw list: name, value, … */
    readonly raw: readonly Buffer[],
  ) {}

  /** The headers as Node's client presents them; built only when asked for (the proxy relays `raw`). */
  get headers(): IncomingHttpHeaders {
    this.parsed ??= responseHeaders(this.raw);
    return this.parsed;
  }
}

export interface ExchangeHandlers {
  /** A connection carries the request now (new or reused); its body is being read from here on. */
  connected(): void;
  head(h: ResponseHead): void;
  /** false: the client is not keeping up; call resume() once it has drained. */
  data(chunk: Buffer): boolean;
  end(): void;
  /** Not called after end() or destroy(). `reused`: the connection had carried an earlier response. */
  error(err: UpstreamError): void;
}

export type UpstreamError = NodeJS.ErrnoException & { reused?: boolean };

// The upstream gets no Expect: Node's server has already answered the client's 100-continue,
// and undici refuses the header.
const NOT_SENT = new Set(['expect']);
const INVALID_PATH = /[^\u0021-\u00ff]/;
const kBytesRead = Symbol('bytesRead');

const withCode = (message: string, code: string): UpstreamError => Object.assign(new Error(message), { code });

/** The header object undici is given: no Expect, no undefined values. */
function requestHeaders(headers: OutgoingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || NOT_SENT.has(name)) continue;
    out[name] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

/** What undici reports, under the codes and words the proxy reports to its client. */
function translate(err: Error & { code?: string; socket?: { bytesRead?: number } }, req: UpstreamRequest, responded: boolean): UpstreamError {
  const bytesRead = err.socket?.bytesRead ?? (err as { [kBytesRead]?: number })[kBytesRead] ?? 0;
  let out: UpstreamError;
  switch (err.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      out = withCode(`connect to ${req.key} timed out after ${req.timeouts.connectMs} ms`, 'ECONNECTTIMEOUT');
      break;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      out = withCode(`no data from ${req.key} for ${req.timeouts.idleMs} ms`, 'EIDLE');
      break;
    case 'UND_ERR_SOCKET':
      // 'bad response', 'bad upgrade': an answer no request asked for (an unsolicited 100, a 101).
      out = err.message.startsWith('bad ')
        ? withCode(`invalid response from ${req.key}: ${err.message}`, 'HPE_INVALID_RESPONSE')
        : withCode(`socket hang up (${err.message})`, 'ECONNRESET');
      break;
    default:
      out = err as UpstreamError;
      // llhttp's errors carry no code for some refusals (a version other than 1.x); a body longer or
      // shorter than its Content-Length (two of them that differ) is as malformed.
      if ((err.name === 'HTTPParserError' && !out.code) || out.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') out.code = 'HPE_INVALID_RESPONSE';
  }
  // Bytes read before this request's response began belong to an earlier one: the connection
  // was reused (a partial head of this response would count too; such an upstream is broken anyway).
  out.reused = out.code === 'ECONNRESET' && !responded && bytesRead > 0;
  return out;
}

export class Exchange implements Dispatcher.DispatchHandler {
  /** Within dispatch: undici reports the options it refuses (a header value, the path's form) through onError then. */
  dispatching = true;
  refused: Error | undefined;
  private over = false;
  private responded = false;
  private abort: ((err?: Error) => void) | undefined;
  private resumeReading: (() => void) | undefined;

  constructor(
    private readonly req: UpstreamRequest,
    private readonly h: ExchangeHandlers,
  ) {}

  /** Reading resumes after data() returned false. */
  resume(): void {
    if (!this.over) this.resumeReading?.();
  }

  /** Gives up the request (the client went away, a deadline passed): its connection is closed, no handler runs. */
  destroy(): void {
    if (this.over) return;
    this.over = true;
    this.abort?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.over) return abort();
    this.abort = abort;
    this.h.connected();
  }

  onHeaders(status: number, raw: Buffer[], resume: () => void): boolean {
    // 1xx answers are not relayed (the proxy's own server answers the client's 100-continue).
    if (this.over || status < 200) return true;
    this.responded = true;
    this.resumeReading = resume;
    const head = new ResponseHead(status, raw);
    this.h.head(head);
    // A 304 may carry the Content-Length of the representation it stands for (RFC 9110 8.6), which
    // undici takes for a body cut short: the answer is complete with its head, whatever undici says after.
    if ((status === 204 || status === 304) && head.headers['content-length'] !== undefined && head.headers['content-length'] !== '0') this.onComplete();
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.over || this.h.data(chunk);
  }

  onComplete(): void {
    if (this.over) return;
    this.over = true;
    this.h.end();
  }

  onError(err: Error): void {
    if (this.dispatching && (err as { code?: string }).code === 'UND_ERR_INVALID_ARG') {
      this.refused = err;
      return;
    }
    if (this.over) return;
    this.over = true;
    this.h.error(translate(err, this.req, this.responded));
  }
}

type Undici = typeof import('undici');
let undici: Undici | undefined;
let loading: Promise<Undici> | undefined;

/**
 * undici, loaded for the first request sent upstream: with its llhttp WebAssembly it is most
 * of an idle ingress's memory, and a node's ingress with no Ingress to serve never needs it.
 * The ingress loads it as soon as it has an Ingress to serve.
 */
export function loadUndici(): Promise<Undici> {
  loading ??= import('undici').then((u) => (undici = u));
  return loading;
}

export class UpstreamPool {
  // By connect deadline, then endpoint: the deadline is a property of the pool's connector.
  private readonly pools = new Map<number, Map<string, Pool>>();

  /** Sends a request on an idle connection to its endpoint, or a new one. Throws at once on a path that cannot be sent. */
  request(req: UpstreamRequest, h: ExchangeHandlers): Exchange {
    if (INVALID_PATH.test(req.path)) throw withCode(`request path ${JSON.stringify(req.path)} contains unescaped characters`, 'ERR_UNESCAPED_CHARACTERS');
    const x = new Exchange(req, h);
    const dispatch = (u: Undici) =>
      this.pool(u, req).dispatch(
        {
          method: req.method as Dispatcher.HttpMethod,
          path: req.path,
          headers: Array.isArray(req.headers) ? req.headers : requestHeaders(req.headers as OutgoingHttpHeaders),
          body: req.body === 'none' ? null : req.src,
          headersTimeout: req.timeouts.idleMs,
          bodyTimeout: req.timeouts.idleMs,
        },
        x,
      );
    if (undici) dispatch(undici);
    // The first request waits for the client; a refusal then reaches the handlers' error.
    else
      void loadUndici()
        .then(dispatch)
        .catch((err: Error) => x.onError(err));
    x.dispatching = false;
    if (x.refused) throw Object.assign(new Error(`cannot be sent upstream: ${x.refused.message}`), { code: 'ERR_INVALID_ARG_VALUE' });
    return x;
  }

  destroy(): void {
    for (const byKey of this.pools.values()) for (const p of byKey.values()) void p.destroy();
    this.pools.clear();
  }

  private pool(u: Undici, req: UpstreamRequest): Pool {
    let byKey = this.pools.get(req.timeouts.connectMs);
    if (!byKey) this.pools.set(req.timeouts.connectMs, (byKey = new Map()));
    let pool = byKey.get(req.key);
    if (pool) return pool;
    const connect = u.buildConnector({ timeout: req.timeouts.connectMs, noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 });
    pool = new u.Pool(`http://${req.host}:${req.port}`, {
      pipelining: 1,
      connectTimeout: req.timeouts.connectMs,
      // Without a Keep-Alive hint from the upstream, an idle connection is kept as long as a request may stay silent.
      keepAliveTimeout: req.timeouts.idleMs,
      keepAliveMaxTimeout: 600_000,
      // A connection the upstream will close within a second is not handed another request.
      keepAliveTimeoutThreshold: 1_000,
      connect: (opts, cb) =>
        connect(opts, (...args) => {
          // Notes how much the connection had read when it failed (undici's socket errors do not say),
          // which tells a reused connection from a new one.
          const socket = args[1];
          if (socket) socket.on('error', (e) => Object.assign(e, { [kBytesRead]: socket.bytesRead }));
          cb(...args);
        }),
    });
    byKey.set(req.key, pool);
    // Endpoints come and go with their pods: a pool left without connections or requests is dropped.
    const drop = () => {
      const stats = pool!.stats;
      if (stats.connected > 0 || stats.size > 0 || byKey.get(req.key) !== pool) return;
      byKey.delete(req.key);
      pool!.close().catch(() => {});
    };
    pool.on('disconnect', drop);
    pool.on('connectionError', drop);
    return pool;
  }
}
