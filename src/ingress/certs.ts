// Certificates chosen per TLS server name (SNI): each tls host of a served Ingress maps to the
// Secret its tls section names; names without a usable Secret get the default (self-signed)
// certificate. Contexts are rebuilt only when a Secret's resourceVersion changes.
import { createSecureContext, type SecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { normalizeHost } from './route-table.js';

/** Secret key (namespace/name) for a server name: an exact tls host first, then a `*.` one. */
export function selectSecret(servername: string, tlsSecrets: ReadonlyMap<string, readonly string[]>): string | undefined {
  const name = normalizeHost(servername);
  const exact = tlsSecrets.get(name);
  if (exact?.length) return exact[0];
  const dot = name.indexOf('.');
  if (dot > 0) return tlsSecrets.get(`*${name.slice(dot)}`)?.[0];
  return undefined;
}

export interface CertProblem {
  secret: string;
  message: string;
}

interface Loaded {
  resourceVersion: string;
  context?: SecureContext;
  error?: string;
}

export const ALPN = ['h2', 'http/1.1'];

export class CertStore {
  private tlsSecrets: ReadonlyMap<string, readonly string[]> = new Map();
  private readonly loaded = new Map<string, Loaded>();
  readonly defaultContext: SecureContext;

  constructor(
    defaultCert: { cert: string; key: string },
    private readonly getSecret: (namespace: string, name: string) => Secret | undefined,
  ) {
    this.defaultContext = createSecureContext({ cert: defaultCert.cert, key: defaultCert.key, minVersion: 'TLSv1.2' });
  }

  /** Takes the route table's tls map and (re)loads changed Secrets; returns the unusable ones. */
  update(tlsSecrets: ReadonlyMap<string, readonly string[]>): CertProblem[] {
    this.tlsSecrets = tlsSecrets;
    const wanted = new Set([...tlsSecrets.values()].map((l) => l[0]!).filter(Boolean));
    for (const k of this.loaded.keys()) if (!wanted.has(k)) this.loaded.delete(k);
    const problems: CertProblem[] = [];
    for (const key of wanted) {
      const l = this.load(key);
      if (l.error) problems.push({ secret: key, message: l.error });
    }
    return problems;
  }

  /** The context for an SNI name; the default one when none (or no usable Secret) serves it. */
  contextFor(servername: string | undefined): SecureContext {
    const key = servername ? selectSecret(servername, this.tlsSecrets) : undefined;
    return (key && this.loaded.get(key)?.context) || this.defaultContext;
  }

  private load(key: string): Loaded {
    const [namespace, name] = key.split('/') as [string, string];
    const secret = this.getSecret(namespace, name);
    const rv = secret ? (secret.metadata?.resourceVersion ?? '') : '<missing>';
    const prior = this.loaded.get(key);
    if (prior && prior.resourceVersion === rv) return prior;
    const next: Loaded = { resourceVersion: rv };
    try {
      next.context = contextFromSecret(secret, key);
    } catch (err) {
      next.error = (err as Error).message;
    }
    this.loaded.set(key, next);
    return next;
  }
}

/** A secure context from a kubernetes.io/tls Secret; throws with the reason when unusable. */
export function contextFromSecret(secret: Secret | undefined, key: string): SecureContext {
  if (!secret) throw new Error(`TLS Secret ${key} does not exist; its hosts get the default certificate`);
  if (secret.type && secret.type !== 'kubernetes.io/tls')
    throw new Error(`Secret ${key} is of type ${secret.type}, not kubernetes.io/tls; its hosts get the default certificate`);
  const crt = secret.data?.['tls.crt'];
  const k = secret.data?.['tls.key'];
  if (!crt || !k) throw new Error(`TLS Secret ${key} lacks tls.crt or tls.key; its hosts get the default certificate`);
  const cert = Buffer.from(crt, 'base64').toString();
  const pem = Buffer.from(k, 'base64').toString();
  try {
    const x = new X509Certificate(cert);
    if (Date.parse(x.validTo) < Date.now()) throw new Error(`certificate expired at ${x.validTo}`);
    return createSecureContext({ cert, key: pem, minVersion: 'TLSv1.2' });
  } catch (err) {
    throw new Error(`TLS Secret ${key} holds no usable certificate and key (${(err as Error).message}); its hosts get the default certificate`);
  }
}
