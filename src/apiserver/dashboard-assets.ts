// The web dashboard's static files (built by `npm run build` into dist/dashboard/), served
// at /dashboard/ on the API port without login: the page holds no data, every call it makes
// goes through the API as the user who logged in.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/src/apiserver/ → dist/dashboard/
const DEFAULT_ROOT = fileURLToPath(new URL('../../dashboard/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// The page can only talk to this origin; no inline script, no plugins, no framing.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' wss: ws:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** True for the paths the dashboard owns: /dashboard, /dashboard/…, and /ui (kept for old links). */
export function isDashboardPath(path: string): boolean {
  return path === '/dashboard' || path.startsWith('/dashboard/') || path === '/ui' || path.startsWith('/ui/');
}

export function dashboardAssets(root = DEFAULT_ROOT) {
  // The built files, read once: only names in this listing are served, so no request path
  // reaches the filesystem and unknown names cost nothing (nothing is cached for them).
  let assets: Map<string, Asset> | undefined;

  function listing(): Map<string, Asset> {
    if (assets?.size) return assets;
    assets = new Map();
    if (!existsSync(root)) return assets;
    for (const name of readdirSync(root)) {
      const file = join(root, name);
      if (!statSync(file).isFile()) continue;
      const body = readFileSync(file);
      assets.set(name, {
        body,
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`,
      });
    }
    return assets;
  }

  /** Answers a GET or HEAD under /dashboard/; other methods get 405. */
  return function serve(req: IncomingMessage, res: ServerResponse, rawPath: string): void {
    const method = (req.method ?? 'GET').toUpperCase();
    if (rawPath === '/dashboard' || rawPath === '/ui' || rawPath.startsWith('/ui/')) {
      res.writeHead(301, { Location: '/dashboard/', 'Content-Length': 0 });
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') return plain(res, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    let rel: string;
    try {
      rel = decodeURIComponent(rawPath.slice('/dashboard/'.length));
    } catch {
      return plain(res, 400, 'bad path');
    }
    if (rel === '') rel = 'index.html';
    // The folder is flat: a slash, backslash, NUL or dot segment can only be an attempt to leave it.
    if (/[/\\\0]/.test(rel) || rel === '.' || rel === '..') return plain(res, 400, 'invalid path');
    const files = listing();
    const asset = files.get(rel);
    if (!asset) return plain(res, 404, files.has('index.html') ? 'not found' : 'the dashboard is not built: run `npm run build`');
    // index.html names the bundles; it is revalidated every time. The bundles carry a content hash in their names.
    const immutable = /-[A-Z0-9]{8}\.(js|css)(\.map)?$/.test(rel);
    const headers: Record<string, string | number> = {
      'Content-Type': asset.type,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: asset.etag,
      ...SECURITY_HEADERS,
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Length': asset.body.length });
    res.end(method === 'HEAD' ? undefined : asset.body);
  };
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache', ...extra });
  res.end(text);
}
