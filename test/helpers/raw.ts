// Raw HTTPS requests with the admin credentials of a kubeconfig, for tests that must
// send what a well-behaved client never would (malformed bodies, huge bodies).
import https from 'node:https';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

export function rawClient(kubeconfig: string) {
  const { options } = loadKubeconfig(kubeconfig);
  const url = new URL(options.server);
  const agent = new https.Agent({ ca: options.ca, cert: options.cert, key: options.key, keepAlive: true });
  return {
    agent,
    request(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
      return new Promise((resolve, reject) => {
        const req = https.request(
          {
            host: url.hostname,
            port: url.port,
            method,
            path,
            agent,
            headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
            });
          },
        );
        req.on('error', reject);
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.end(body);
      });
    },
    close() {
      agent.destroy();
    },
  };
}
