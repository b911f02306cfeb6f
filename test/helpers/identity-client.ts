// HTTPS clients of a running `skiff server`, each with its own client certificate (user
// and groups) issued by the server's CA, for tests and benchmarks that need distinct
// identities (flows) rather than the admin.
import https from 'node:https';
import { ensurePki } from '../../src/util/pki.js';

export interface TimedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

export type Caller = (method: string, path: string, body?: unknown) => Promise<TimedResponse>;

export interface IdentityClients {
  /** A client authenticating as `user` in `groups` (undefined user: anonymous, no certificate). */
  as(user: string | undefined, groups?: string[], admin?: boolean): Promise<Caller>;
  close(): void;
}

export async function identityClients(dataDir: string, port: number): Promise<IdentityClients> {
  const pki = await ensurePki(dataDir);
  const agents: https.Agent[] = [];
  return {
    async as(user, groups = [], admin = false) {
      const id = admin ? { cert: pki.adminCert, key: pki.adminKey } : user ? await pki.issueClientCert(user, groups) : undefined;
      const agent = new https.Agent({ keepAlive: true, maxSockets: 256, ca: pki.caCert, ...(id ?? {}) });
      agents.push(agent);
      return (method, path, body) => {
        const t0 = performance.now();
        return new Promise((resolve, reject) => {
          const req = https.request(
            { host: '127.0.0.1', port, method, path, agent, headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c) => chunks.push(c));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: performance.now() - t0 }),
              );
            },
          );
          req.on('error', reject);
          req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
          req.end(body ? JSON.stringify(body) : undefined);
        });
      };
    },
    close() {
      for (const a of agents) a.destroy();
    },
  };
}

export function percentile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
