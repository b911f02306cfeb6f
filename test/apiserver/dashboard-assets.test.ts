// The dashboard's static files: content types, caching, ETags, and nothing outside the built folder.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dashboardAssets, isDashboardPath } from '../../src/apiserver/dashboard-assets.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-dash-assets-'));
const root = join(dir, 'dashboard');
mkdirSync(root);
mkdirSync(join(root, 'sub'));
writeFileSync(join(root, 'index.html'), '<!doctype html><p>hi</p>');
writeFileSync(join(root, 'main-ABCDEFGH.js'), 'console.log(1)');
writeFileSync(join(root, 'sub', 'inner.txt'), 'inner');
writeFileSync(join(dir, 'secret.txt'), 'SECRET');
after(() => rmSync(dir, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Answer {
  const serve = dashboardAssets(root);
  const out: Answer = { status: 0, headers: {}, body: '' };
  const res = {
    writeHead(status: number, h: Record<string, string | number>) {
      out.status = status;
      out.headers = h;
    },
    end(b?: Buffer | string) {
      out.body = b ? String(b) : '';
    },
  } as unknown as ServerResponse;
  serve({ method, headers } as IncomingMessage, res, path);
  return out;
}

test('index.html and hashed bundles, with their types and caching; 304 on a matching ETag', () => {
  const index = get('/dashboard/');
  assert.equal(index.status, 200);
  assert.equal(index.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['Cache-Control'], 'no-cache');
  assert.match(String(index.headers['Content-Security-Policy']), /script-src 'self'/);
  assert.equal(index.body, '<!doctype html><p>hi</p>');
  const js = get('/dashboard/main-ABCDEFGH.js');
  assert.equal(js.headers['Content-Type'], 'text/javascript; charset=utf-8');
  assert.match(String(js.headers['Cache-Control']), /immutable/);
  assert.equal(get('/dashboard/main-ABCDEFGH.js', { 'if-none-match': String(js.headers.ETag) }).status, 304);
  assert.equal(get('/dashboard/main-ABCDEFGH.js', {}, 'HEAD').body, '');
  assert.equal(get('/dashboard/index.html', {}, 'POST').status, 405);
});

test('redirects to /dashboard/; paths leaving the folder or into subfolders are refused; unknown names 404', () => {
  assert.equal(get('/dashboard').status, 301);
  assert.equal(get('/ui').headers.Location, '/dashboard/');
  for (const p of [
    '/dashboard/../secret.txt',
    '/dashboard/..%2fsecret.txt',
    '/dashboard/%2e%2e%2fsecret.txt',
    '/dashboard/..%5csecret.txt',
    '/dashboard/sub/inner.txt',
    '/dashboard/x%00.js',
    '/dashboard/%E0%A4%A',
  ]) {
    const a = get(p);
    assert.ok(a.status === 400, `${p} → ${a.status}`);
    assert.doesNotMatch(a.body, /SECRET|inner/);
  }
  assert.equal(get('/dashboard/..').status, 400);
  assert.equal(get('/dashboard/sub').status, 404);
  assert.equal(get('/dashboard/nothing.js').status, 404);
  assert.ok(isDashboardPath('/dashboard/x') && isDashboardPath('/ui') && !isDashboardPath('/dashboards') && !isDashboardPath('/api/v1/pods'));
});
