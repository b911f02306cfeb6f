// One proxied request: route it, pick an endpoint (session cookie first, then the Ingress's balancing policy),
// connect with a deadline, stream the body both ways. The request body is only read once a
// connection carries the request, so a failed connect sent nothing and any request moves to another endpoint (as
// nginx's proxy_next_upstream does); a reused keep-alive connection reset under a request is
// retried only for idempotent methods.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { ANNOTATION_LOAD_BALANCE, parsePolicy, type Policy } from './balance.js';
import { affinityToken, type EndpointPicker, type Upstream } from './endpoints.js';
import { clientResponseHeaderList, cookieValue, requestHost, upstreamRequestHeaderList } from './headers.js';
import type { ConnectionRecord, ConnectionEnd } from './metrics.js';
import { normalizeHost, rewritePath, type Route, type RouteTable } from './route-table.js';
import type { BodyFraming, Exchange, ExchangeHandlers, UpstreamPool } from './upstream-client.js';

export const ANNOTATION_AFFINITY = 'skiff.io/affinity';
export const ANNOTATION_COOKIE_NAME = 'skiff.io/session-cookie-name';
export const ANNOTATION_COOKIE_MAX_AGE = 'skiff.io/session-cookie-max-age';
export const ANNOTATION_SSL_REDIRECT = 'skiff.io/ssl-redirect';
export const ANNOTATION_REWRITE_TARGET = 'skiff.io/rewrite-target';
export const DEFAULT_COOKIE_NAME = 'SKIFF_AFFINITY';

/** The balancing policy of a route's Ingress; round robin when the annotation names none (an Event says so). */
export function policyOf(route: Route): Policy {
  return parsePolicy(route.annotations[ANNOTATION_LOAD_BALANCE]) ?? 'round-robin';
}

/** The path sent upstream: the request's, or rewritten per the Ingress's annotation. */
export function upstreamPath(route: Route, path: string): string {
  const target = route.annotations[ANNOTATION_REWRITE_TARGET];
  return target && route.matched ? rewritePath(target, route.matched.path, path) : path;
}

export interface Timeouts {
  connectMs: number;
  /** No bytes either way on the upstream connection for this long. */
  idleMs: number;
  /** Until the upstream's response headers arrive. */
  requestMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 5_000, idleMs: 60_000, requestMs: 60_000 };

export interface ForwardContext {
  table(): RouteTable;
  picker: EndpointPicker;
  /** Keep-alive connections to the endpoints. */
  upstreams: UpstreamPool;
  timeouts: Timeouts;
  /** Port of the HTTPS listener, for redirects (omitted from the URL when 443). */
  httpsPort: number | undefined;
  onDone?(info: { route?: Route; status: number; upstream?: string; ms: number; upstreamMs?: number; method: string; host: string; path: string }): void;
  /** A long-lived connection (upgraded, passthrough) opens; the returned function is called when it closes. */
  onConnection?(c: ConnectionRecord): (end: ConnectionEnd) => void;
}

/** What a route's annotations say about each request to it, read once per route rather than per request. */
interface RoutePlan {
  policy: Policy;
  /** namespace/service:port, the key of the backend's round-robin turn. */
  backendKey: string;
  affinity: boolean;
  cookieName: string;
  cookieMaxAge: number;
  sslRedirect: boolean;
  rewrite: boolean;
}

// Routes are rebuilt with the table, never changed: a plan lives as long as its route.
const plans = new WeakMap<Route, RoutePlan>();

function planOf(route: Route): RoutePlan {
  let plan = plans.get(route);
  if (plan) return plan;
  const a = route.annotations;
  const b = route.backend;
  plan = {
    policy: policyOf(route),
    backendKey: `${b.namespace}/${b.service}:${b.port}`,
    affinity: a[ANNOTATION_AFFINITY] === 'cookie',
    cookieName: a[ANNOTATION_COOKIE_NAME] || DEFAULT_COOKIE_NAME,
    cookieMaxAge: Number(a[ANNOTATION_COOKIE_MAX_AGE]),
    sslRedirect: route.tls && a[ANNOTATION_SSL_REDIRECT] !== 'false',
    rewrite: !!a[ANNOTATION_REWRITE_TARGET],
  };
  plans.set(route, plan);
  return plan;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTDOWN', 'ECONNECTTIMEOUT']);

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export function plainReply(res: Res, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** How the request's body goes upstream: HTTP/1.1 says by its headers, HTTP/2 by whether the stream ended with them. */
function bodyFraming(req: Req): BodyFraming {
  const cl = req.headers['content-length'];
  if (cl !== undefined) return cl === '0' ? 'none' : 'length';
  if ('stream' in req) return req.stream.endAfterHeaders ? 'none' : 'chunked';
  return req.headers['transfer-encoding'] !== undefined ? 'chunked' : 'none';
}

export function handleRequest(ctx: ForwardContext, req: Req, res: Res, proto: 'http' | 'https'): void {
  const start = Date.now();
  const host = requestHost(req.headers);
  const path = req.url ?? '/';
  const method = req.method ?? 'GET';
  const done = (status: number, route?: Route, upstream?: string, upstreamMs?: number) =>
    ctx.onDone?.({ route, status, upstream, ms: Date.now() - start, upstreamMs, method, host, path });
  const route = ctx.table().match(host, path);
  if (!route) {
    plainReply(res, 404, `404 Not Found: no Ingress rule matches host ${JSON.stringify(normalizeHost(host))} and path ${JSON.stringify(path.split('?')[0])}\n`);
    done(404);
    return;
  }
  const plan = planOf(route);
  if (proto === 'http' && plan.sslRedirect && ctx.httpsPort) {
    const port = ctx.httpsPort === 443 ? '' : `:${ctx.httpsPort}`;
    const location = `https://${normalizeHost(host)}${port}${path}`;
    plainReply(res, 308, `308 Permanent Redirect: ${location}\n`, { location });
    done(308, route);
    return;
  }
  const resolved = ctx.picker.resolve(route.backend);
  if (!resolved.ok) {
    plainReply(res, resolved.status, `${resolved.status} Service Unavailable: ${resolved.reason}\n`);
    done(resolved.status, route);
    return;
  }
  const { backendKey, affinity, cookieName, policy } = plan;
  const pinned = affinity ? ctx.picker.pinned(resolved.upstreams, cookieValue(req.headers.cookie, cookieName)) : undefined;
  const headers = upstreamRequestHeaderList(req.headers, { remoteAddress: req.socket?.remoteAddress, proto, host });
  const framing = bodyFraming(req);
  const sendPath = plan.rewrite ? upstreamPath(route, path) : path;
  // Endpoints tried so far: the first alone, a set only once a retry needs one.
  let firstTried: string | undefined;
  let tried: Set<string> | undefined;
  let finished = false;
  // Ends the attempt in flight, if any: its connection closed, its load released.
  let abort: (() => void) | undefined;
  const deadline = setTimeout(() => {
    abort?.();
    fail(504, `504 Gateway Timeout: ${backendKey} sent no response within ${ctx.timeouts.requestMs} ms\n`);
  }, ctx.timeouts.requestMs);
  const fail = (status: number, body: string, upstream?: string) => {
    if (finished) return;
    finished = true;
    clearTimeout(deadline);
    plainReply(res, status, body);
    done(status, route, upstream);
  };
  // A client that goes away takes its upstream request with it.
  res.on('close', () => {
    clearTimeout(deadline);
    if (res.writableFinished) return;
    finished = true;
    abort?.();
  });

  const attempt = (up: Upstream) => {
    if (firstTried === undefined) firstTried = up.key;
    else (tried ??= new Set([firstTried])).add(up.key);
    const sent = Date.now();
    // In flight from here until the upstream's answer ends or the attempt fails, for least-requests and ewma.
    const release = ctx.picker.load.begin(up.key);
    let connected = false;
    let responded = false;
    let status = 502;
    let upstreamMs = 0;
    let draining = false;
    const handlers: ExchangeHandlers = {
      connected: () => {
        connected = true;
        ctx.picker.connected(up.key);
      },
      head: (head) => {
        if (finished) return call.destroy();
        finished = true;
        clearTimeout(deadline);
        upstreamMs = Date.now() - sent;
        ctx.picker.load.observe(up.key, upstreamMs);
        const out = clientResponseHeaderList(head.raw);
        if (affinity && pinned?.key !== up.key) {
          const maxAge = plan.cookieMaxAge;
          out.push('set-cookie', `${cookieName}=${affinityToken(up)}; Path=/; HttpOnly${maxAge > 0 ? `; Max-Age=${Math.floor(maxAge)}` : ''}`);
        }
        try {
          // A flat list goes to the wire as it is: no header object is built on the way.
          (res as ServerResponse).writeHead(head.status, out);
        } catch (err) {
          // A header value Node will not send (control characters): the answer cannot be relayed.
          call.destroy();
          release();
          finished = false;
          fail(502, `502 Bad Gateway: ${backendKey} endpoint ${up.key}: ${(err as Error).message}\n`, up.key);
          return;
        }
        responded = true;
        status = head.status;
      },
      data: (chunk) => {
        if ((res as ServerResponse).write(chunk)) return true;
        // Several chunks may be decoded from one read: one wait for 'drain' covers them all.
        if (!draining) {
          draining = true;
          res.once('drain', () => {
            draining = false;
            call.resume();
          });
        }
        return false;
      },
      end: () => {
        release();
        if (!responded) return;
        res.end();
        done(status, route, up.key, upstreamMs);
      },
      error: (err) => {
        release();
        if (finished) {
          if (responded) res.destroy();
          return;
        }
        const code = err.code ?? '';
        // A keep-alive connection the upstream closed meanwhile counts as a failed connect too.
        const connectFailure = CONNECT_ERRORS.has(code) && (!connected || (err.reused === true && code === 'ECONNRESET'));
        if (connectFailure && !connected) ctx.picker.connectFailed(up.key);
        if (connectFailure && (!connected || IDEMPOTENT.has(method)) && !req.readableDidRead) {
          tried ??= new Set([firstTried!]);
          const next = ctx.picker.next(backendKey, resolved.upstreams, tried, policy);
          if (next && tried.size < 3) return attempt(next);
        }
        const status = code === 'EIDLE' || code === 'ECONNECTTIMEOUT' ? 504 : 502;
        fail(status, `${status} ${status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}: ${backendKey} endpoint ${up.key}: ${err.message}\n`, up.key);
      },
    };
    let call: Exchange;
    try {
      call = ctx.upstreams.request(
        { host: up.host, port: up.port, key: up.key, method, path: sendPath, headers, body: framing, src: req, timeouts: ctx.timeouts },
        handlers,
      );
    } catch (err) {
      release();
      fail(400, `400 Bad Request: ${(err as Error).message}\n`);
      return;
    }
    abort = () => {
      call.destroy();
      release();
    };
  };
  const first = pinned ?? ctx.picker.next(backendKey, resolved.upstreams, undefined, policy);
  attempt(first!);
}
