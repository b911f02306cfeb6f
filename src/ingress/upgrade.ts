// Upgrade requests (WebSocket and others) over HTTP/1.1: routed like any request, then the
// upstream's 101 is relayed and the two sockets are spliced until either side closes. The
// connection counts as a request in flight on its endpoint until then (least-requests), and
// in the metrics and access log as a connection of its own.
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientResponseHeaders, requestHost, upstreamRequestHeaderList } from './headers.js';
import { ANNOTATION_SSL_REDIRECT, type ForwardContext, policyOf, upstreamPath } from './forward.js';
import { normalizeHost } from './route-table.js';

function rawReply(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function head(status: number, message: string, headers: http.IncomingHttpHeaders, keepUpgrade: boolean): string {
  const out = keepUpgrade ? { ...clientResponseHeaders(headers), connection: 'Upgrade', upgrade: headers.upgrade } : clientResponseHeaders(headers);
  let s = `HTTP/1.1 ${status} ${message}\r\n`;
  for (const [k, v] of Object.entries(out)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) s += `${k}: ${one}\r\n`;
  }
  return `${s}\r\n`;
}

export function handleUpgrade(ctx: ForwardContext, req: IncomingMessage, socket: Duplex, headBuf: Buffer, proto: 'http' | 'https'): void {
  const start = Date.now();
  socket.on('error', () => socket.destroy());
  const host = requestHost(req.headers);
  const path = req.url ?? '/';
  const method = req.method ?? 'GET';
  const route = ctx.table().match(host, path);
  // Answers other than 101 are requests like any other in the access log and metrics.
  const done = (status: number, upstream?: string) => ctx.onDone?.({ route, status, upstream, ms: Date.now() - start, method, host, path });
  if (!route) {
    rawReply(socket, 404, 'Not Found', `404 Not Found: no Ingress rule matches host ${JSON.stringify(normalizeHost(host))}\n`);
    done(404);
    return;
  }
  if (proto === 'http' && route.tls && route.annotations[ANNOTATION_SSL_REDIRECT] !== 'false' && ctx.httpsPort) {
    const location = `https://${normalizeHost(host)}${ctx.httpsPort === 443 ? '' : `:${ctx.httpsPort}`}${path}`;
    socket.end(`HTTP/1.1 308 Permanent Redirect\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    done(308);
    return;
  }
  const resolved = ctx.picker.resolve(route.backend);
  if (!resolved.ok) {
    rawReply(socket, resolved.status, 'Service Unavailable', `${resolved.status} Service Unavailable: ${resolved.reason}\n`);
    done(resolved.status);
    return;
  }
  const b = route.backend;
  const up = ctx.picker.next(`${b.namespace}/${b.service}:${b.port}`, resolved.upstreams, undefined, policyOf(route))!;
  const headers = upstreamRequestHeaderList(req.headers, { remoteAddress: req.socket.remoteAddress, proto, host }, true);
  // Its own connection: an upgraded socket never returns to the keep-alive pool.
  const proxyReq = http.request({ host: up.host, port: up.port, method, path: upstreamPath(route, path), headers, agent: false });
  const release = ctx.picker.load.begin(up.key);
  socket.once('close', release);
  const timer = setTimeout(() => proxyReq.destroy(new Error(`connect to ${up.key} timed out`)), ctx.timeouts.connectMs);
  proxyReq.on('socket', (s) =>
    s.once('connect', () => {
      clearTimeout(timer);
      ctx.picker.connected(up.key);
    }),
  );
  proxyReq.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    if (err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH') ctx.picker.connectFailed(up.key);
    release();
    rawReply(socket, 502, 'Bad Gateway', `502 Bad Gateway: endpoint ${up.key}: ${err.message}\n`);
    done(502, up.key);
  });
  proxyReq.on('response', (res) => {
    // The upstream refused the upgrade: relay its answer as an ordinary response.
    clearTimeout(timer);
    socket.write(head(res.statusCode ?? 502, res.statusMessage ?? '', { ...res.headers, connection: 'close' }, false));
    res.pipe(socket);
    res.on('end', () => done(res.statusCode ?? 502, up.key));
  });
  proxyReq.on('upgrade', (res, upSocket, upHead) => {
    clearTimeout(timer);
    const kind = String(req.headers.upgrade).toLowerCase() === 'websocket' ? 'websocket' : 'upgrade';
    const closed = ctx.onConnection?.({ kind, ingress: route.ingress, service: `${b.namespace}/${b.service}`, host, path, upstream: up.key });
    let bytesIn = headBuf.length;
    let bytesOut = upHead.length;
    socket.on('data', (d: Buffer) => (bytesIn += d.length));
    upSocket.on('data', (d: Buffer) => (bytesOut += d.length));
    socket.once('close', () => closed?.({ bytesIn, bytesOut }));
    upSocket.on('error', () => socket.destroy());
    socket.on('error', () => upSocket.destroy());
    socket.on('close', () => upSocket.destroy());
    upSocket.on('close', () => socket.destroy());
    socket.write(head(101, res.statusMessage || 'Switching Protocols', res.headers, true));
    if (upHead.length) socket.write(upHead);
    if (headBuf.length) upSocket.write(headBuf);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  proxyReq.end();
}
