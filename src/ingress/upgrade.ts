// Upgrade requests (WebSocket and others) over HTTP/1.1: routed like any request, then the
// upstream's 101 is relayed and the two sockets are spliced until either side closes.
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { clientResponseHeaders, requestHost, upstreamRequestHeaders } from './headers.js';
import { ANNOTATION_SSL_REDIRECT, type ForwardContext } from './forward.js';
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
  socket.on('error', () => socket.destroy());
  const host = requestHost(req.headers);
  const path = req.url ?? '/';
  const route = ctx.table().match(host, path);
  if (!route) {
    rawReply(socket, 404, 'Not Found', `404 Not Found: no Ingress rule matches host ${JSON.stringify(normalizeHost(host))}\n`);
    return;
  }
  if (proto === 'http' && route.tls && route.annotations[ANNOTATION_SSL_REDIRECT] !== 'false' && ctx.httpsPort) {
    const location = `https://${normalizeHost(host)}${ctx.httpsPort === 443 ? '' : `:${ctx.httpsPort}`}${path}`;
    socket.end(`HTTP/1.1 308 Permanent Redirect\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    return;
  }
  const resolved = ctx.picker.resolve(route.backend);
  if (!resolved.ok) {
    rawReply(socket, resolved.status, 'Service Unavailable', `${resolved.status} Service Unavailable: ${resolved.reason}\n`);
    return;
  }
  const b = route.backend;
  const up = ctx.picker.next(`${b.namespace}/${b.service}:${b.port}`, resolved.upstreams)!;
  const headers = upstreamRequestHeaders(req.headers, { remoteAddress: req.socket.remoteAddress, proto, host }, true);
  // Its own connection: an upgraded socket never returns to the keep-alive pool.
  const proxyReq = http.request({ host: up.host, port: up.port, method: req.method, path, headers, agent: false });
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
    rawReply(socket, 502, 'Bad Gateway', `502 Bad Gateway: endpoint ${up.key}: ${err.message}\n`);
  });
  proxyReq.on('response', (res) => {
    // The upstream refused the upgrade: relay its answer as an ordinary response.
    clearTimeout(timer);
    socket.write(head(res.statusCode ?? 502, res.statusMessage ?? '', { ...res.headers, connection: 'close' }, false));
    res.pipe(socket);
  });
  proxyReq.on('upgrade', (res, upSocket, upHead) => {
    clearTimeout(timer);
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
