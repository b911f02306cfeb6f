// HTTP probes and hooks: a GET within the timeout; 200–399 is success. Redirects are
// followed only while they stay on the same host (at most 10), as the kubelet's probe
// client does; a redirect elsewhere ends the probe with the 3xx, which is a Warning
// (success that is reported). TLS certificates are not verified, as in the kubelet.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeOutcome } from './probe-result.js';

export interface HttpProbeTarget {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  /** Path with an optional query. */
  path: string;
  headers?: { name: string; value: string }[];
  timeoutMs: number;
  /** The kubelet says kube-probe/<major.minor>. */
  userAgent?: string;
}

const MAX_BODY = 10 * 1024;
const MAX_REDIRECTS = 10;

export function probeUrl(t: Pick<HttpProbeTarget, 'scheme' | 'host' | 'port' | 'path'>): URL {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const path = t.path.startsWith('/') ? t.path : `/${t.path}`;
  return new URL(`${t.scheme.toLowerCase()}://${host}:${t.port}${path}`);
}

interface Response {
  status: number;
  location?: string;
  body: string;
}

function get(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers,
        signal,
        rejectUnauthorized: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function describe(err: NodeJS.ErrnoException, url: URL, timedOut: boolean): string {
  const prefix = `Get "${url.href}"`;
  if (timedOut) return `${prefix}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
  const addr = `${url.hostname}:${url.port}`;
  if (err.code === 'ECONNREFUSED') return `${prefix}: dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'ECONNRESET') return `${prefix}: read tcp ${addr}: connection reset by peer`;
  return `${prefix}: ${err.message}`;
}

export async function httpProbe(t: HttpProbeTarget): Promise<ProbeOutcome> {
  let url = probeUrl(t);
  const first = url;
  const headers: Record<string, string> = { 'User-Agent': t.userAgent ?? 'kube-probe/1.32', Accept: '*/*' };
  // Headers the probe names replace the defaults (a Host header changes the virtual host).
  for (const h of t.headers ?? []) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === h.name.toLowerCase()) delete headers[k];
    headers[h.name] = h.value;
  }
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, t.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      let res: Response;
      try {
        res = await get(url, headers, ctl.signal);
      } catch (err) {
        return { result: 'Failure', output: describe(err as NodeJS.ErrnoException, url, timedOut) };
      }
      if (res.status >= 300 && res.status < 400 && res.location) {
        let next: URL;
        try {
          next = new URL(res.location, url);
        } catch {
          return { result: 'Warning', output: `Probe terminated redirects, Response body: ${res.body}` };
        }
        if (next.hostname === first.hostname && (next.protocol === 'http:' || next.protocol === 'https:')) {
          if (hop + 1 >= MAX_REDIRECTS) return { result: 'Failure', output: `Get "${next.href}": stopped after ${MAX_REDIRECTS} redirects` };
          url = next;
          continue;
        }
        return { result: 'Warning', output: `Probe terminated redirects, Response body: ${res.body}` };
      }
      if (res.status >= 200 && res.status < 400) return { result: 'Success', output: res.body };
      return { result: 'Failure', output: `HTTP probe failed with statuscode: ${res.status}` };
    }
  } finally {
    clearTimeout(timer);
  }
}
