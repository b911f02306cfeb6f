// Reads the parts of a kubeconfig file that a client needs to reach a cluster. Credential
// plugins (exec, auth-provider) are refused loudly rather than ignored, because ignoring
// them turns into puzzling 401s later.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { HttpsTransportOptions } from './https-options.js';

export interface Kubeconfig {
  /** The context that was used. */
  context: string;
  /** The context's default namespace, if it names one. */
  namespace?: string;
  options: HttpsTransportOptions;
}

interface Named {
  name: string;
  [k: string]: unknown;
}

function pick(list: unknown, name: string, field: string, what: string, file: string): Record<string, any> {
  const entries = Array.isArray(list) ? (list as Named[]) : [];
  const found = entries.find((e) => e && e.name === name);
  if (!found) throw new Error(`kubeconfig ${file}: no ${what} named ${JSON.stringify(name)}`);
  return (found[field] as Record<string, any>) ?? {};
}

// The YAML parser is loaded by the first kubeconfig read: every client imports this module,
// and a node agent, which authenticates with its own certificates, reads none.
const requireYaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

export function loadKubeconfig(path: string, context?: string): Kubeconfig {
  const doc = requireYaml().parse(readFileSync(path, 'utf8')) ?? {};
  const dir = dirname(resolve(path));
  const file = (p: string) => readFileSync(isAbsolute(p) ? p : resolve(dir, p));
  // Inline data wins over a file path, as in kubectl.
  const material = (data: unknown, filePath: unknown): Buffer | undefined => {
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
    if (typeof filePath === 'string' && filePath) return file(filePath);
    return undefined;
  };

  const ctxName = context ?? doc['current-context'];
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context and no context given`);
  const ctx = pick(doc.contexts, ctxName, 'context', 'context', path);
  const cluster = pick(doc.clusters, ctx.cluster, 'cluster', 'cluster', path);
  const user = ctx.user !== undefined ? pick(doc.users, ctx.user, 'user', 'user', path) : {};
  if (!cluster.server) throw new Error(`kubeconfig ${path}: cluster ${ctx.cluster} has no server`);

  let token: string | undefined = user.token || undefined;
  if (!token && typeof user.tokenFile === 'string') token = file(user.tokenFile).toString('utf8').trim();
  const cert = material(user['client-certificate-data'], user['client-certificate']);
  const key = material(user['client-key-data'], user['client-key']);
  if ((user.exec || user['auth-provider']) && !token && !cert) {
    throw new Error(`kubeconfig ${path}: user ${ctx.user} uses a credential plugin, which this client does not support`);
  }
  if (!!cert !== !!key) throw new Error(`kubeconfig ${path}: user ${ctx.user} has a client certificate without its key, or a key without its certificate`);

  const options: HttpsTransportOptions = {
    server: cluster.server,
    ca: material(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert,
    key,
    token,
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: cluster['tls-server-name'] || undefined,
  };
  return { context: ctxName, namespace: ctx.namespace || undefined, options };
}
