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

// Set by the proxy itself (X-Request-ID only when the client sent none, or an empty one).
const REPLACED: Record<string, true> = Object.assign(Object.create(null), {
  host: true,
  'x-forwarded-for': true,
  'x-forwarded-proto': true,
  'x-forwarded-host': true,
  'x-real-ip': true,
  expect: true,
});

export interface ClientInfo {
  remoteAddress: string | undefined;
  proto: 'http' | 'https';
  host: string;
}

/**
 * The headers sent upstream, as a flat list (name, value, …) that undici takes without another
 * copy; `keepUpgrade` keeps Connection/Upgrade for an Upgrade request. No Expect: the proxy's own
 * server has already answered the client's 100-continue (and undici refuses the header). Node's
 * client takes the same list for Upgrade requests.
 */
export function upstreamRequestHeaderList(headers: IncomingHttpHeaders, client: ClientInfo, keepUpgrade = false): string[] {
  const drop = dropped(headers);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */ || drop.has(name) || name in REPLACED) continue;
    if (typeof value !== 'string') for (const v of value) out.push(name, v);
    // An empty X-Request-ID is replaced below, not sent beside the new one.
    else if (value !== '' || name !== 'x-request-id') out.push(name, value);
  }
  const prior = headers['x-forwarded-for'];
  const remote = client.remoteAddress ?? '';
  const addr = remote.startsWith('::ffff:') ? remote.slice(7) : remote;
  out.push(
    'host',
    client.host,
    'x-forwarded-for',
    prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${addr}` : addr,
    'x-forwarded-proto',
    client.proto,
    'x-forwarded-host',
    client.host,
    'x-real-ip',
    addr,
  );
  if (!headers['x-request-id']) out.push('x-request-id', randomUUID());
  if (keepUpgrade && headers.upgrade) out.push('connection', 'Upgrade', 'upgrade', headers.upgrade);
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

// As Node's client: later copies of these are dropped; other repeats are joined.
const SINGLE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'last-modified',
  'location',
  'retry-after',
  'server',
  'user-agent',
]);

/** A response's raw header list (name, value, …) as Node's client would present it. */
export function responseHeaders(raw: readonly Buffer[]): IncomingHttpHeaders {
  const h: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const prior = h[name];
    if (prior === undefined) h[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (prior as string[]).push(value);
    else if (!SINGLE.has(name)) h[name] = `${prior}, ${value}`;
  }
  // The body comes out decoded: a length next to Transfer-Encoding is not the client's to see.
  if (h['transfer-encoding'] !== undefined) delete h['content-length'];
  return h;
}

/**
 * A response's raw header list as sent to the client, in the flat form writeHead takes: repeats
 * merged as responseHeaders() merges them, hop-by-hop headers dropped. One pass from undici's
 * buffers, with no header object in between.
 */
export function clientResponseHeaderList(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  let chunked = false;
  // Where each name went in `out`; a scan of `out` is cheaper for the usual handful of headers.
  const at = raw.length > 64 ? new Map<string, number>() : undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    if (HOP_BY_HOP.has(name)) {
      if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`;
      else if (name === 'transfer-encoding') chunked = true;
      continue;
    }
    if (name !== 'set-cookie') {
      const j = at ? (at.get(name) ?? -1) : indexOfName(out, name);
      if (j >= 0) {
        if (!SINGLE.has(name)) out[j + 1] += `, ${value}`;
        continue;
      }
      at?.set(name, out.length);
    }
    out.push(name, value);
  }
  // Rare afterwards: headers the Connection header names, a length beside Transfer-Encoding.
  const drop = connection === undefined ? HOP_BY_HOP : dropped({ connection });
  if (drop === HOP_BY_HOP && !chunked) return out;
  const kept: string[] = [];
  for (let j = 0; j < out.length; j += 2) if (!drop.has(out[j]!) && !(chunked && out[j] === 'content-length')) kept.push(out[j]!, out[j + 1]!);
  return kept;
}

function indexOfName(list: readonly string[], name: string): number {
  for (let j = 0; j < list.length; j += 2) if (list[j] === name) return j;
  return -1;
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
