// Limits on connections, so that slow or idle clients cannot hold the server's sockets:
// a request (headers and body) must arrive within the request timeout, headers within a
// shorter one, TLS handshakes within a few seconds; and a client address holds at most so
// many connections that have not authenticated — past that its oldest such connection is
// closed, so a flood of idle connections can never lock out a client that authenticates.
import type https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface ConnectionLimits {
  /** --request-timeout: the whole request (headers and body) must arrive within it. Default 60 s. */
  requestTimeoutMs?: number;
  /** Headers must arrive within this; default the smaller of 10 s and the request timeout. */
  headersTimeoutMs?: number;
  /** Connections of one client address that have not authenticated (yet). Default 256. */
  maxUnauthenticatedPerClient?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_UNAUTHENTICATED = 256;

/** Options for https.createServer that only take effect at construction. */
export function serverTimeoutOptions(limits: ConnectionLimits): { connectionsCheckingInterval: number; handshakeTimeout: number } {
  const { headersTimeoutMs } = timeouts(limits);
  // Node checks request and header deadlines on this interval: a fraction of the shortest.
  return {
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(headersTimeoutMs / 4))),
    handshakeTimeout: Math.min(HANDSHAKE_TIMEOUT_MS, headersTimeoutMs),
  };
}

function timeouts(limits: ConnectionLimits): { requestTimeoutMs: number; headersTimeoutMs: number } {
  const requestTimeoutMs = limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersTimeoutMs = Math.min(limits.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeoutMs);
  return { requestTimeoutMs, headersTimeoutMs };
}

const authenticated = new WeakSet<Socket>();
const unauthenticatedByClient = new Map<string, Set<Socket>>();

/** The connection carried an authenticated request: it no longer counts against its client's limit. */
export function markAuthenticated(socket: Socket): void {
  if (authenticated.has(socket)) return;
  authenticated.add(socket);
  const key = clientKey(socket);
  const set = unauthenticatedByClient.get(key);
  if (set?.delete(socket) && set.size === 0) unauthenticatedByClient.delete(key);
}

function clientKey(socket: Socket): string {
  return (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Applies the timeouts and the per-client limit to `server`. */
export function applyConnectionLimits(server: https.Server, limits: ConnectionLimits): void {
  const { requestTimeoutMs, headersTimeoutMs } = timeouts(limits);
  // Node's requestTimeout covers receiving the request only: a watch, once asked for, is unaffected.
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = headersTimeoutMs;
  // Idle keep-alive connections close after this; longer than the usual client idle timeouts, so clients close first.
  server.keepAliveTimeout = 65_000;
  const max = limits.maxUnauthenticatedPerClient ?? DEFAULT_MAX_UNAUTHENTICATED;
  server.on('secureConnection', (socket: TLSSocket) => {
    // A verified client certificate authenticates the connection before any request.
    if (socket.authorized) {
      authenticated.add(socket);
      return;
    }
    const key = clientKey(socket);
    let set = unauthenticatedByClient.get(key);
    if (!set) unauthenticatedByClient.set(key, (set = new Set()));
    set.add(socket);
    socket.once('close', () => {
      const s = unauthenticatedByClient.get(key);
      if (s?.delete(socket) && s.size === 0) unauthenticatedByClient.delete(key);
    });
    if (set.size > max) {
      // Sets iterate in insertion order: the first is the oldest.
      const oldest = set.values().next().value as Socket;
      set.delete(oldest);
      oldest.destroy();
    }
  });
}
