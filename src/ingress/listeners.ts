// The ingress's sockets: plain HTTP/1.1 on the HTTP port; TLS on the HTTPS port with the
// certificate picked per SNI name and HTTP/2 or HTTP/1.1 by ALPN. Node's HTTP parser answers
// malformed requests (both Content-Length and Transfer-Encoding, bad header bytes: 400;
// oversized headers: 431) before they reach the handler.
import http from 'node:http';
import http2 from 'node:http2';
import net, { type Server as NetServer, type Socket } from 'node:net';
import type { CertStore } from './certs.js';
import { ALPN } from './certs.js';
import { handleRequest, policyOf, type ForwardContext } from './forward.js';
import { spliceToService } from './l4.js';
import { MAX_RECORD, readSni } from './sni.js';
import { handleUpgrade } from './upgrade.js';

export const ANNOTATION_SSL_PASSTHROUGH = 'skiff.io/ssl-passthrough';

export interface ListenerLimits {
  /** Client must send its request headers within this time. */
  headersTimeoutMs: number;
  /** Idle keep-alive connections from clients are closed after this. */
  keepAliveTimeoutMs: number;
  maxHeaderSize: number;
}

export const DEFAULT_LIMITS: ListenerLimits = { headersTimeoutMs: 10_000, keepAliveTimeoutMs: 75_000, maxHeaderSize: 16 * 1024 };

export interface Listener {
  proto: 'http' | 'https';
  address: string;
  port: number;
  server: NetServer;
}

function listen(server: NetServer, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: address, port }, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

function trackSockets(server: NetServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.setNoDelay(true);
    s.once('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function openHttp(ctx: ForwardContext, address: string, port: number, limits: ListenerLimits): Promise<Listener & { close(): Promise<void> }> {
  const server = http.createServer({
    maxHeaderSize: limits.maxHeaderSize,
    requestTimeout: 0,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks header deadlines on this interval (default 30 s): a slow client is cut near its deadline.
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  });
  server.on('request', (req, res) => handleRequest(ctx, req, res, 'http'));
  server.on('upgrade', (req, socket, head) => handleUpgrade(ctx, req, socket, head, 'http'));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => clientError(err, socket));
  const sockets = trackSockets(server);
  const bound = await listen(server, address, port);
  return { proto: 'http', address, port: bound, server, close: () => closeServer(server, sockets) };
}

export async function openHttps(
  ctx: ForwardContext,
  certs: CertStore,
  address: string,
  port: number,
  limits: ListenerLimits,
): Promise<Listener & { close(): Promise<void> }> {
  const server = http2.createSecureServer({
    allowHTTP1: true,
    ALPNProtocols: ALPN,
    SNICallback: (name, cb) => cb(null, certs.contextFor(name)),
    // Used when a client sends no SNI name at all.
    secureContext: certs.defaultContext,
    minVersion: 'TLSv1.2',
    maxSessionMemory: 10,
    settings: { maxHeaderListSize: limits.maxHeaderSize },
    maxSendHeaderBlockLength: limits.maxHeaderSize,
  } as http2.SecureServerOptions);
  server.on('request', (req, res) => handleRequest(ctx, req, res, 'https'));
  server.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => handleUpgrade(ctx, req, socket, head, 'https'));
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => clientError(err, socket));
  server.on('tlsClientError', () => {});
  server.on('sessionError', () => {});
  server.setTimeout(limits.keepAliveTimeoutMs);
  // The port itself is a plain TCP server: it reads the ClientHello's SNI name first, then
  // either splices the raw bytes to a passthrough backend or hands the socket to TLS.
  const front = net.createServer({ pauseOnConnect: true }, (socket) => peekThenDispatch(ctx, server, socket, limits.headersTimeoutMs));
  const sockets = trackSockets(front);
  const bound = await listen(front, address, port);
  return {
    proto: 'https',
    address,
    port: bound,
    server: front,
    close: async () => {
      server.close();
      await closeServer(front, sockets);
    },
  };
}

function clientError(err: NodeJS.ErrnoException, socket: import('node:stream').Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  const body = `${status}\n`;
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
}

async function closeServer(server: NetServer, sockets: Set<Socket>): Promise<void> {
  await new Promise<void>((r) => {
    server.close(() => r());
    for (const s of sockets) s.destroy();
  });
}

function peekThenDispatch(ctx: ForwardContext, tlsServer: NetServer, socket: Socket, timeoutMs: number): void {
  let buf = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    const r = readSni(buf);
    if (r.more && buf.length < MAX_RECORD) return;
    socket.off('data', onData);
    socket.pause();
    clearTimeout(timer);
    socket.unshift(buf);
    const name = !r.more && r.name ? r.name : undefined;
    const route = name ? ctx.table().match(name, '/') : undefined;
    if (name && route && route.annotations[ANNOTATION_SSL_PASSTHROUGH] === 'true') {
      const b = route.backend;
      spliceToService(ctx.picker, socket, b, {
        policy: policyOf(route),
        onOpen: (up) =>
          ctx.onConnection?.({ kind: 'passthrough', ingress: route.ingress, service: `${b.namespace}/${b.service}`, host: name, upstream: up.key }),
      });
      return;
    }
    tlsServer.emit('connection', socket);
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
}
