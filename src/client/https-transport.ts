// The Transport for components that reach the apiserver over the network (and for any
// program outside the skiff process). HTTP/1.1 with keep-alive; one socket per watch.
import * as http from 'node:http';
import * as https from 'node:https';
import { readFileSync } from 'node:fs';
import { ApiError, type RequestOptions, type StatusBody, type Transport, type WatchHandlers, type ClientWatchEvent } from './transport.js';
import type { HttpsTransportOptions } from './https-options.js';
import { loadKubeconfig } from './kubeconfig.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const reasons: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function isStatus(v: unknown): v is StatusBody {
  return !!v && typeof v === 'object' && (v as StatusBody).kind === 'Status';
}

/** Non-Status error bodies (proxies, plain-text handlers) still become an ApiError with a reason. */
function toApiError(status: number, text: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  if (isStatus(body)) return ApiError.fromStatus(status, body);
  const synthetic: StatusBody = {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code: status,
    reason: reasons[status] ?? 'Unknown',
    message: text.trim().slice(0, 1000) || `the server responded with status ${status}`,
  };
  return ApiError.fromStatus(status, synthetic);
}

function decodeSuccess(res: RawResponse): unknown {
  if (res.text === '') return undefined;
  const ct = String(res.headers['content-type'] ?? '');
  // Text endpoints (/readyz, pods/log) answer text/plain; everything else is JSON.
  if (!ct.includes('json') && !/^\s*[{[]/.test(res.text)) return res.text;
  try {
    return JSON.parse(res.text);
  } catch (e) {
    throw new Error(`undecodable JSON response: ${(e as Error).message}`);
  }
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class HttpsTransport implements Transport {
  private readonly base: URL;
  private agent: http.Agent;
  private readonly mod: { request: typeof http.request };
  private readonly watches = new Set<{ stop(): void }>();

  constructor(private readonly opts: HttpsTransportOptions) {
    this.base = new URL(opts.server);
    if (this.base.protocol === 'https:') {
      this.agent = this.tlsAgent(opts.cert, opts.key);
      this.mod = https;
    } else if (this.base.protocol === 'http:') {
      this.agent = new http.Agent({ keepAlive: true });
      this.mod = http;
    } else {
      throw new TypeError(`unsupported server URL ${opts.server}`);
    }
  }

  /** Reads server, CA, client certificate/key or token from a kubeconfig (its current-context by default). */
  static fromKubeconfig(path: string, context?: string): HttpsTransport {
    return new HttpsTransport(loadKubeconfig(path, context).options);
  }

  /** A token kept in a file (a service account's token) as a bearer token. */
  static tokenFromFile(path: string): string {
    return readFileSync(path, 'utf8').trim();
  }

  private url(path: string, query?: RequestOptions['query']): URL {
    const prefix = this.base.pathname.replace(/\/+$/, '');
    const url = new URL(prefix + path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private headers(extra: http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
    const h: http.OutgoingHttpHeaders = { accept: 'application/json', ...extra };
    if (this.opts.token) h.authorization = `Bearer ${this.opts.token}`;
    h['user-agent'] = this.opts.userAgent ?? 'skiff-client';
    return h;
  }

  /** Milliseconds to wait before retrying a 429, or undefined when it should not be retried. */
  private retryDelay(status: number, headers: http.IncomingHttpHeaders, attempt: number): number | undefined {
    if (status !== 429 || attempt >= (this.opts.maxRetries ?? 5)) return undefined;
    const header = headers['retry-after'];
    const seconds = header === undefined ? NaN : Number(header);
    if (!Number.isFinite(seconds) || seconds < 0) return undefined;
    return Math.min(seconds, this.opts.maxRetryAfterSeconds ?? 30) * 1000;
  }

  private send(method: string, url: URL, headers: http.OutgoingHttpHeaders, body?: Buffer): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = this.mod.request(url, { method, agent: this.agent, headers });
      const timeout = this.opts.requestTimeoutMs ?? 60_000;
      if (timeout > 0) req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${url.pathname}: no answer within ${timeout} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(body);
    });
  }

  /**
   * Resolves with the decoded JSON body (text for non-JSON answers, undefined for an empty
   * one). Rejects with ApiError on a non-2xx answer and with a plain Error when the
   * server could not be reached.
   */
  async request(opts: RequestOptions): Promise<any> {
    const body = encodeBody(opts.body);
    const headers = this.headers(body ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': body.length } : {});
    const url = this.url(opts.path, opts.query);
    for (let attempt = 0; ; attempt++) {
      const res = await this.send(opts.method, url, headers, body);
      if (res.status >= 200 && res.status < 300) return decodeSuccess(res);
      const wait = this.retryDelay(res.status, res.headers, attempt);
      if (wait === undefined) throw toApiError(res.status, res.text);
      await sleep(wait);
    }
  }

  /**
   * Streams newline-delimited watch events. `onClose` is called exactly once when the stream
   * ends on its own: without an argument when the server ended it cleanly, with an error
   * otherwise (ApiError for a non-2xx answer). After `stop()` neither `onEvent` nor `onClose`
   * is called again. An exception thrown by `onEvent` ends the watch and is passed to `onClose`.
   */
  watch(path: string, query: RequestOptions['query'], handlers: WatchHandlers): { stop(): void } {
    const q = { ...query };
    if (q.watch === undefined && !path.includes('/watch/')) q.watch = 1;
    const url = this.url(path, q);
    let req: http.ClientRequest | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let finished = false;

    const finish = (err?: Error, notify = true) => {
      if (finished) return;
      finished = true;
      this.watches.delete(handle);
      clearTimeout(retryTimer);
      req?.destroy();
      if (notify) handlers.onClose(err);
    };
    const handle = { stop: () => finish(undefined, false) };
    this.watches.add(handle);

    // False when the watch must not go on (bad line, handler threw or stopped the watch).
    const deliver = (line: string): boolean => {
      const text = line.trim();
      if (!text) return true;
      let ev: ClientWatchEvent;
      try {
        ev = JSON.parse(text);
      } catch {
        finish(new Error(`malformed watch event: ${text.slice(0, 200)}`));
        return false;
      }
      if (!ev || typeof ev.type !== 'string' || !ev.object || typeof ev.object !== 'object') {
        finish(new Error(`malformed watch event: ${text.slice(0, 200)}`));
        return false;
      }
      try {
        handlers.onEvent(ev);
      } catch (e) {
        finish(e instanceof Error ? e : new Error(String(e)));
        return false;
      }
      return !finished;
    };

    const open = (attempt: number) => {
      if (finished) return;
      req = this.mod.request(url, { method: 'GET', agent: this.agent, headers: this.headers({}) });
      req.on('error', (e) => finish(e));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const wait = this.retryDelay(status, res.headers, attempt);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => finish(e));
          res.on('end', () => {
            if (wait === undefined) return finish(toApiError(status, Buffer.concat(chunks).toString('utf8')));
            if (!finished) retryTimer = setTimeout(() => open(attempt + 1), wait);
          });
          return;
        }
        // setEncoding keeps a multi-byte character split across chunks whole.
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          if (finished) return;
          buf += chunk;
          let start = 0;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
            const line = buf.slice(start, nl);
            start = nl + 1;
            if (!deliver(line)) return;
          }
          buf = buf.slice(start);
        });
        res.on('end', () => {
          if (finished) return;
          if (deliver(buf)) finish();
        });
        res.on('error', (e) => finish(e));
        res.on('close', () => {
          if (!res.complete) finish(new Error('watch stream ended before the server finished it'));
        });
      });
      req.end();
    };
    open(0);
    return handle;
  }

  private tlsAgent(cert: string | Buffer | undefined, key: string | Buffer | undefined): https.Agent {
    const o = this.opts;
    return new https.Agent({ keepAlive: true, ca: o.ca, cert, key, rejectUnauthorized: !o.insecureSkipTLSVerify, servername: o.tlsServerName });
  }

  /**
   * Authenticates with a new client certificate from now on (a rotated node certificate).
   * Open connections are closed, as the kubelet does on rotation: watches fail and their
   * informers come back on new connections, with the new certificate.
   */
  rotateClientCertificate(cert: string, key: string): void {
    if (this.base.protocol !== 'https:') return;
    const old = this.agent;
    this.agent = this.tlsAgent(cert, key);
    old.destroy();
  }

  /** Stops every open watch (quietly, as stop() does) and closes idle connections. */
  close(): void {
    for (const w of [...this.watches]) w.stop();
    this.agent.destroy();
  }
}
