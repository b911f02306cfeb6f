// Registry credentials from a pod's imagePullSecrets: the `.dockerconfigjson` (and the
// older `.dockercfg`) formats decoded into the CRI AuthConfig the runtime pulls with, and
// the choice of which of them apply to an image (matched by registry host, as the
// kubelet's credential keyring does).
import type { Secret } from 'kubernetes-types/core/v1.js';
import type { PullAuth } from '../runtime/types.js';

const DOCKER_HUB = 'docker.io';

/** The registry host of an image reference; Docker Hub for bare names. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  // Only a first part that looks like a host (a dot, a port, or localhost) names a registry.
  if (first.includes('.') || first.includes(':') || first === 'localhost') return normalizeRegistry(first);
  return DOCKER_HUB;
}

/** `https://index.docker.io/v1/` and `registry:5000/path` forms reduced to the host[:port]. */
export function normalizeRegistry(server: string): string {
  let s = server.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  s = s.toLowerCase();
  if (s === 'index.docker.io' || s === 'registry-1.docker.io' || s === 'registry.hub.docker.com') return DOCKER_HUB;
  return s;
}

function fromEntry(server: string, entry: unknown): PullAuth | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as Record<string, unknown>;
  const out: PullAuth = { serverAddress: server };
  if (typeof e.username === 'string') out.username = e.username;
  if (typeof e.password === 'string') out.password = e.password;
  if (typeof e.auth === 'string' && e.auth) {
    out.auth = e.auth;
    // Runtimes accept either form; fill both so none has to decode.
    if (out.username === undefined) {
      const plain = Buffer.from(e.auth, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      if (colon > 0) {
        out.username = plain.slice(0, colon);
        out.password = plain.slice(colon + 1);
      }
    }
  }
  return out.username !== undefined || out.auth !== undefined ? out : undefined;
}

/**
 * The credentials in one pull secret. Secrets of other types, or with data that does not
 * parse, give an error naming the secret, so that the pod's events can say why.
 */
export function authsFromSecret(secret: Secret): PullAuth[] {
  const name = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? ''}`;
  const data = secret.data ?? {};
  let raw: string | undefined;
  let nested = true;
  if (data['.dockerconfigjson'] !== undefined) raw = data['.dockerconfigjson'];
  else if (data['.dockercfg'] !== undefined) {
    raw = data['.dockercfg'];
    nested = false;
  }
  if (raw === undefined) throw new Error(`secret ${name} has neither .dockerconfigjson nor .dockercfg`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch (err) {
    throw new Error(`secret ${name}: registry credentials are not valid JSON: ${(err as Error).message}`);
  }
  const auths = nested ? (parsed as { auths?: unknown })?.auths : parsed;
  if (!auths || typeof auths !== 'object') throw new Error(`secret ${name}: no "auths" in its registry credentials`);
  const out: PullAuth[] = [];
  for (const [server, entry] of Object.entries(auths as Record<string, unknown>)) {
    const a = fromEntry(server, entry);
    if (a) out.push(a);
  }
  return out;
}

/** The credentials that apply to an image, in the order given. */
export function authsForImage(image: string, auths: PullAuth[]): PullAuth[] {
  const registry = registryOf(image);
  return auths.filter((a) => a.serverAddress !== undefined && normalizeRegistry(a.serverAddress) === registry);
}

/** Some of a pod's pull secrets could not be used; `auths` holds what the others gave. */
export class PullSecretsError extends Error {
  constructor(
    message: string,
    readonly auths: PullAuth[],
  ) {
    super(message);
  }
}

/**
 * The credentials of all of a pod's imagePullSecrets, fetched with `getSecret` — what the
 * agent's `pullSecrets` hook returns. Missing or malformed secrets do not stop the others
 * from being used; they are named in a PullSecretsError that carries the usable ones.
 */
export async function podPullAuths(
  pod: { metadata?: { namespace?: string }; spec?: { imagePullSecrets?: { name?: string }[] } },
  getSecret: (namespace: string, name: string) => Promise<Secret | undefined>,
): Promise<PullAuth[]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const auths: PullAuth[] = [];
  const problems: string[] = [];
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    if (!ref.name) continue;
    try {
      const secret = await getSecret(ns, ref.name);
      if (!secret) problems.push(`secret "${ref.name}" not found`);
      else auths.push(...authsFromSecret(secret));
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length) throw new PullSecretsError(problems.join('; '), auths);
  return auths;
}
