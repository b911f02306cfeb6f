// The web dashboard's static files (built by `npm run build` into dist/dashboard/), served
// at /dashboard/ on the API port without login: the page holds no data, every call it makes
// goes through the API as the user who logged in.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
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
  const cache = new Map<string, Asset | null>();

  function load(rel: string): Asset | null {
    const hit = cache.get(rel);
    if (hit !== undefined) return hit;
    const file = join(root, rel);
    let asset: Asset | null = null;
    if (existsSync(file) && statSync(file).isFile()) {
      const body = readFileSync(file);
      asset = { body, type: TYPES[extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"` };
    }
    cache.set(rel, asset);
    return asset;
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
    // Refuse anything that could leave the folder: dot segments, backslashes, NUL, absolute paths.
    const clean = normalize(rel);
    if (
      rel.includes('\0') ||
      rel.includes('\\') ||
      rel.startsWith('/') ||
      clean.startsWith('..') ||
      clean.split(sep).includes('..') ||
      rel.split('/').some((s) => s === '..' || s === '.')
    )
      return plain(res, 400, 'invalid path');
    const asset = load(clean);
    if (!asset) {
      if (!load('index.html')) return plain(res, 404, 'the dashboard is not built: run `npm run build`');
      return plain(res, 404, 'not found');
    }
    // index.html names the bundles; it is revalidated every time. The bundles carry a content hash in their names.
    const immutable = /\.[0-9a-f]{8,}\.(js|css)$/i.test(clean) || /-[A-Z0-9]{8}\.(js|css)$/.test(clean);
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
