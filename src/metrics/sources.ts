// Where a node's /metrics/resource comes from: its agent's HTTPS server, called with the
// client certificate agents let in (the apiserver's, as metrics-server uses its own), or —
// for simulated nodes living in this process, which have no server — a function that
// writes the same text without a socket.
import https from 'node:https';
import { isIPv6 } from 'node:net';
import type { Node } from 'kubernetes-types/core/v1.js';

export interface NodeMetricsSource {
  /** The node's resource metrics text; rejects (or never settles, for a hung agent) when it cannot answer. */
  scrape(node: Node, signal: AbortSignal): Promise<string>;
}

/** Where the node's agent listens: its InternalIP and the port it reports, as metrics-server picks them. */
export function agentAddress(node: Node): { host: string; port: number } | undefined {
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  const addrs = node.status?.addresses ?? [];
  const ip = (addrs.find((a) => a.type === 'InternalIP') ?? addrs.find((a) => a.type === 'ExternalIP'))?.address;
  return port && ip ? { host: ip, port } : undefined;
}

const MAX_BYTES = 64 * 1024 * 1024;

export function httpsSource(client: { cert: string; key: string }): NodeMetricsSource & { close(): void } {
  // Connections are kept between cycles: a TLS handshake per node per scrape would cost more than the scrape.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4, cert: client.cert, key: client.key, rejectUnauthorized: false });
  return {
    scrape(node, signal) {
      const at = agentAddress(node);
      const name = node.metadata?.name ?? '';
      if (!at) return Promise.reject(new Error(`node ${name} reports no agent address and port`));
      return new Promise((resolve, reject) => {
        const req = https.get(
          { host: isIPv6(at.host) ? `[${at.host}]` : at.host, port: at.port, path: '/metrics/resource', agent, signal, headers: { Accept: 'text/plain' } },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > MAX_BYTES) req.destroy(new Error(`node ${name}: /metrics/resource larger than ${MAX_BYTES} bytes`));
              else chunks.push(c);
            });
            res.on('end', () => {
              const body = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode === 200) resolve(body);
              else reject(new Error(`node ${name}: /metrics/resource answered ${res.statusCode}: ${body.slice(0, 200)}`));
            });
            res.on('error', reject);
          },
        );
        req.on('error', (err) => reject(new Error(`node ${name} (${at.host}:${at.port}): ${err.message}`)));
      });
    },
    close: () => agent.destroy(),
  };
}

/** Tries `local` first (simulated nodes in this process), then `remote`. */
export function combinedSource(local: (name: string) => Promise<string> | undefined, remote: NodeMetricsSource): NodeMetricsSource {
  return {
    scrape(node, signal) {
      return local(node.metadata?.name ?? '') ?? remote.scrape(node, signal);
    },
  };
}
