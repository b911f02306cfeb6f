// HTTP upgrade plumbing shared by the agent (to the runtime's streaming server) and the
// apiserver (to the agent): dialing an upgrade, and relaying a client's upgrade request
// byte for byte once the far side has switched protocols.
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';

export interface UpgradeTarget {
  url: URL;
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** TLS options for https targets (client certificate, CA, or no verification). */
  tls?: https.RequestOptions;
  timeoutMs?: number;
}

export class UpgradeRefused extends Error {
  constructor(
    readonly statusCode: number,
    readonly headers: IncomingHttpHeaders,
    readonly body: Buffer,
    where: string,
  ) {
    super(`upgrade to ${where} refused: ${statusCode} ${body.toString().slice(0, 500).trim()}`);
  }
}

/** Sends an upgrade request; resolves with the switched socket and the 101's headers. */
export function dialUpgrade(t: UpgradeTarget): Promise<{ socket: Duplex; headers: IncomingHttpHeaders; statusMessage: string }> {
  return new Promise((resolve, reject) => {
    const mod = t.url.protocol === 'https:' ? https : http;
    const req = mod.request(t.url, {
      method: t.method ?? 'GET',
      headers: t.headers,
      ...(t.url.protocol === 'https:' ? t.tls : {}),
      timeout: t.timeoutMs ?? 30_000,
    });
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
      if (head.length) socket.unshift(head);
      resolve({ socket, headers: res.headers, statusMessage: res.statusMessage ?? 'Switching Protocols' });
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 64 * 1024) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => reject(new UpgradeRefused(res.statusCode ?? 502, res.headers, Buffer.concat(chunks), t.url.host)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`upgrade to ${t.url.host} timed out`)));
    req.on('error', (err) => reject(new Error(`upgrade to ${t.url.host} failed: ${err.message}`)));
    req.end();
  });
}

// Headers that describe one hop's connection, not the request.
const HOP_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'authorization']);

/** The client's request headers worth forwarding on an upgrade (Upgrade, protocols, WebSocket keys). */
export function upgradeHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_HEADERS.has(k)) out[k] = v;
  return out;
}

/** Writes a raw HTTP response head onto an upgraded client socket. */
export function writeResponseHead(socket: Duplex, status: number, statusMessage: string, headers: IncomingHttpHeaders | OutgoingHttpHeaders): void {
  const lines = [`HTTP/1.1 ${status} ${statusMessage}`];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
}

/** Answers an upgrade request that cannot be served, with a body, and closes. */
export function refuseUpgrade(socket: Duplex, status: number, contentType: string, body: string | Buffer): void {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  writeResponseHead(socket, status, http.STATUS_CODES[status] ?? 'Error', {
    'content-type': contentType,
    'content-length': String(b.length),
    connection: 'close',
  });
  socket.end(b);
}

/** Joins two sockets until either side ends; errors on one end tear down both. */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const kill = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', kill);
  b.on('error', kill);
  // A close on one side ends the other after what is already queued for it is written.
  const endSoon = (s: Duplex) => {
    s.end();
    setTimeout(() => s.destroy(), 5000).unref();
  };
  a.on('close', () => endSoon(b));
  b.on('close', () => endSoon(a));
}

/**
 * Relays an upgrade request to `target` and, once it switches protocols, joins the client's
 * socket to it; a refusal is passed back to the client as it came.
 */
export async function relayUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: UpgradeTarget,
  /** Rewrites a refusal before the client sees it (default: passed on as it came). */
  onRefused?: (status: number, body: Buffer) => { status: number; contentType: string; body: string },
): Promise<void> {
  try {
    const up = await dialUpgrade({ ...target, method: target.method ?? req.method, headers: { ...upgradeHeaders(req), ...target.headers } });
    writeResponseHead(client, 101, up.statusMessage, up.headers);
    if (head.length) up.socket.write(head);
    splice(client, up.socket);
  } catch (err) {
    if (err instanceof UpgradeRefused) {
      const r = onRefused?.(err.statusCode, err.body);
      if (r) refuseUpgrade(client, r.status, r.contentType, r.body);
      else refuseUpgrade(client, err.statusCode, String(err.headers['content-type'] ?? 'text/plain'), err.body);
    } else {
      const r = onRefused?.(500, Buffer.from(`error dialing backend: ${(err as Error).message}`));
      if (r) refuseUpgrade(client, r.status, r.contentType, r.body);
      else refuseUpgrade(client, 502, 'text/plain', (err as Error).message);
    }
  }
}
