// How `skiff agent` comes to talk to its server: the join token (from --token-file,
// SKIFF_TOKEN or --token) proves the CA it fetches and bootstraps the node's own client
// certificate; after that, and after every restart, the agent uses the certificate alone.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import type { AgentComponent } from '../api/certificates/agent-components.js';
import { bootstrapTokenOf, parseJoinToken } from '../apiserver/auth/join-token.js';
import { Client } from '../client/client.js';
import { HttpsTransport } from '../client/https-transport.js';
import { ensureComponentCert, renewComponentCert } from '../kubelet/component-credentials.js';
import {
  ensureNodeClientCert,
  ensureNodeServingCert,
  renewClientCert,
  renewServingCert,
  startCertRotation,
  type NodeCredentialsOptions,
} from '../kubelet/node-credentials.js';
import type { Logger } from '../util/log.js';

export interface TokenFlags {
  token?: string;
  tokenFile?: string;
}

/** The join token, from --token-file, else SKIFF_TOKEN, else --token (with a warning: ps shows it). */
export function readJoinToken(flags: TokenFlags, warn: (msg: string) => void): string | undefined {
  if (flags.tokenFile) {
    const t = readFileSync(flags.tokenFile, 'utf8').trim();
    if (!t) throw new Error(`the token file ${flags.tokenFile} is empty`);
    return t;
  }
  const env = process.env.SKIFF_TOKEN?.trim();
  if (env) return env;
  if (flags.token) {
    warn('the join token given with --token is visible to every user of this host (ps); use --token-file or SKIFF_TOKEN');
    return flags.token;
  }
  return undefined;
}

/** GET /cacerts without verifying the server: what comes back is checked against the token's hash. */
function fetchCA(server: string): Promise<string> {
  return new Promise((res, rej) => {
    const req = https.get(new URL('/cacerts', server), { rejectUnauthorized: false, timeout: 10_000 }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => (body += d));
      r.on('end', () => (r.statusCode === 200 ? res(body) : rej(new Error(`GET /cacerts answered ${r.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('GET /cacerts timed out')));
    req.on('error', rej);
  });
}

// Named as the same components in `skiff server` name themselves (managedFields show it).
const USER_AGENTS: Record<AgentComponent, string> = { proxy: 'kube-proxy', dns: 'coredns', ingress: 'skiff-ingress' };

export interface AgentConnection {
  client: Client;
  ca: string;
  /** The serving certificate of the agent's HTTPS server, through kubelet-serving. */
  issueServingCert(cn: string, names: { hostnames?: string[]; ips?: string[] }): Promise<{ cert: string; key: string }>;
  /** Keeps the agent server's certificate (the last issueServingCert gave) renewed before it expires. */
  rotateServing(server: { setTls(tls: { cert: string; key: string }): void }): void;
  /** A client of the node's proxy, DNS or ingress with a certificate of its own (kept renewed); closed by stop(). */
  componentClient(component: AgentComponent): Promise<Client>;
  stop(): void;
}

export async function connectAgent(o: { server: string; dataDir: string; nodeName: string; token?: string; log: Logger }): Promise<AgentConnection> {
  const caFile = join(o.dataDir, 'server-ca.crt');
  let ca: string;
  let bootstrapToken: string | undefined;
  if (o.token) {
    const { caHash, secret } = parseJoinToken(o.token);
    if (!caHash) throw new Error("the token carries no CA hash (want K10<hash>::server:<secret>, as in the server's DATA_DIR/token)");
    ca = await fetchCA(o.server);
    if (createHash('sha256').update(ca).digest('hex') !== caHash) throw new Error(`the CA served by ${o.server} does not match the hash in the token`);
    writeFileSync(caFile, ca);
    bootstrapToken = bootstrapTokenOf(secret).token;
  } else if (existsSync(caFile)) ca = readFileSync(caFile, 'utf8');
  else throw new Error('no join token (give --token-file or SKIFF_TOKEN) and no stored server CA: this node has not joined yet');

  const creds: NodeCredentialsOptions = {
    server: o.server,
    ca,
    dir: join(o.dataDir, 'agent', 'pki'),
    nodeName: o.nodeName,
    bootstrapToken,
    log: o.log.child('certificates'),
  };
  const { client: pair, bootstrapped } = await ensureNodeClientCert(creds);
  if (bootstrapped) o.log.info('node client certificate obtained through the CSR API', { user: `system:node:${o.nodeName}` });
  const transport = new HttpsTransport({ server: o.server, ca, cert: pair.cert, key: pair.key, userAgent: `skiff-agent/${o.nodeName}` });
  const client = new Client(transport);
  const componentClients: Client[] = [];
  let serving: { san: { hostnames: string[]; ips: string[] }; pair: { cert: string; key: string } } | undefined;
  const rotations = [
    startCertRotation('node client', pair, renewClientCert(client, creds), (next) => transport.rotateClientCertificate(next.cert, next.key), creds.log),
  ];
  return {
    client,
    ca,
    async issueServingCert(_cn, names) {
      const san = { hostnames: names.hostnames ?? [], ips: names.ips ?? [] };
      serving = { san, pair: await ensureNodeServingCert(client, creds, san) };
      return serving.pair;
    },
    rotateServing(server) {
      if (!serving) return;
      rotations.push(startCertRotation('node serving', serving.pair, renewServingCert(client, creds, serving.san), (next) => server.setTls(next), creds.log));
    },
    async componentClient(component) {
      const pair = await ensureComponentCert(client, creds, component);
      const t = new HttpsTransport({ server: o.server, ca, cert: pair.cert, key: pair.key, userAgent: `${USER_AGENTS[component]}/${o.nodeName}` });
      const c = new Client(t);
      componentClients.push(c);
      rotations.push(
        startCertRotation(
          `${component} client`,
          pair,
          renewComponentCert(client, creds, component),
          (next) => t.rotateClientCertificate(next.cert, next.key),
          creds.log,
        ),
      );
      return c;
    },
    stop: () => {
      for (const r of rotations) r.stop();
      for (const c of componentClients) c.close();
    },
  };
}
