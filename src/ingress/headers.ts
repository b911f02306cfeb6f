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

/** The hop-by-hop set, plus any header the Connection header names (a new set only then: this runs twice per request). */
function dropped(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const conn = headers.connection;
  if (conn === undefined) return HOP_BY_HOP;
  let drop: Set<string> | undefined;
  for (const c of (Array.isArray(conn) ? conn.join(',') : conn).split(',')) {
    const name = c.trim().toLowerCase();
    if (!name || HOP_BY_HOP.has(name)) continue;
    drop ??= new Set(HOP_BY_HOP);
    drop.add(name);
  }
  return drop ?? HOP_BY_HOP;
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
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || drop.has(name)) continue;
    out[name] = value;
  }
  out.host = client.host;
  const prior = headers['x-forwarded-for'];
  const remote = client.remoteAddress ?? '';
  const addr = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
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
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || drop.has(name)) continue;
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
