// Request and response headers across the proxy: hop-by-hop headers dropped (RFC 9110 7.6.1),
// HTTP/2 pseudo-headers turned into a Host, and the X-Forwarded-* / X-Request-ID set.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
  'proxy-authenticate',
  'proxy-authorization',
]);

function dropped(headers: IncomingHttpHeaders): Set<string> {
  const drop = new Set(HOP_BY_HOP);
  const conn = headers.connection;
  for (const c of (Array.isArray(conn) ? conn.join(',') : (conn ?? '')).split(',')) {
    const name = c.trim().toLowerCase();
    if (name) drop.add(name);
  }
  return drop;
}

export interface ClientInfo {
  remoteAddress: string | undefined;
  proto: 'http' | 'https';
  host: string;
}

/** The headers sent upstream; `keepUpgrade` keeps Connection/Upgrade for an Upgrade request. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, client: ClientInfo, keepUpgrade = false): OutgoingHttpHeaders {
  const drop = dropped(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || drop.has(name) || value === undefined) continue;
    out[name] = value;
  }
  out.host = client.host;
  const prior = headers['x-forwarded-for'];
  const addr = client.remoteAddress?.replace(/^::ffff:/, '') ?? '';
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${addr}` : addr;
  out['x-forwarded-proto'] = client.proto;
  out['x-forwarded-host'] = client.host;
  out['x-real-ip'] = addr;
  if (!headers['x-request-id']) out['x-request-id'] = randomUUID();
  if (keepUpgrade && headers.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = headers.upgrade;
  }
  return out;
}

/** The upstream response's headers as sent to the client (no hop-by-hop ones; HTTP/2 allows none). */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const drop = dropped(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (drop.has(name) || value === undefined) continue;
    out[name] = value;
  }
  return out;
}

/** The Host a request names: Host for HTTP/1.1, :authority for HTTP/2. */
export function requestHost(headers: IncomingHttpHeaders): string {
  return (headers[':authority'] as string | undefined) ?? headers.host ?? '';
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  for (const part of (Array.isArray(header) ? header.join('; ') : (header ?? '')).split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
