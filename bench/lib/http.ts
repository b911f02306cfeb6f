// A small keep-alive HTTPS client for load loops: one Agent, bounded sockets, timings in ms.
import https from 'node:https';
import http from 'node:http';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';

export interface Timed {
  status: number;
  ms: number;
  body: string;
}

export class LoadClient {
  readonly agent: https.Agent | http.Agent;
  private readonly url: URL;
  private readonly mod: typeof https | typeof http;

  constructor(server: string, tls: { ca?: Buffer | string; cert?: Buffer | string; key?: Buffer | string } | undefined, maxSockets: number) {
    this.url = new URL(server);
    this.mod = this.url.protocol === 'https:' ? https : http;
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ ...tls, keepAlive: true, maxSockets }) : new http.Agent({ keepAlive: true, maxSockets });
  }

  static fromKubeconfig(path: string, maxSockets = 64): LoadClient {
    const { options } = loadKubeconfig(path);
    return new LoadClient(options.server, { ca: options.ca, cert: options.cert, key: options.key }, maxSockets);
  }

  request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Timed> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const req = this.mod.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers: { Accept: 'application/json', ...(body ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `total` tasks with at most `concurrency` in flight; returns elapsed ms. */
export async function closedLoop(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
  return performance.now() - start;
}

/** Starts one task every 1000/rate ms for `count` tasks (an open loop), waits for all. */
export async function openLoop(count: number, ratePerSecond: number, task: (i: number) => Promise<void>): Promise<void> {
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(task(i));
  }
  await Promise.all(pending);
}
