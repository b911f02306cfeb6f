// Shared checks of the attack suite: after each attack the server still answers /readyz
// within a second and its resident memory stays under the bound the test states.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { TestServer } from '../helpers/server.js';

/** The resident set of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** GET `path` on a fresh connection (no client certificate: health paths are public); status and time taken. */
export function probe(port: number, path: string, timeoutMs = 1000): Promise<{ status: number; ms: number; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path} took more than ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** The server is ready within 1 s and its RSS is under `maxRssMiB`. */
export async function assertHealthy(s: TestServer, maxRssMiB: number): Promise<void> {
  const r = await probe(s.port, '/readyz', 1000);
  assert.equal(r.status, 200, `/readyz answered ${r.status}: ${r.body}`);
  const rss = rssMiB(s.proc.pid!);
  assert.ok(rss < maxRssMiB, `server RSS ${rss.toFixed(0)} MiB is above the ${maxRssMiB} MiB bound`);
}
