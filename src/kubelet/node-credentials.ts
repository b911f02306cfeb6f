// A joined node's own credentials, as the kubelet's TLS bootstrap and certificate manager
// get them: with the join (bootstrap) token the agent asks once, through the CSR API, for a
// client certificate system:node:<name> (O=system:nodes); it keeps key and certificate in
// its data dir and from then on authenticates with them, renewing them (as the node itself)
// before they expire. Its serving certificate comes the same way from kubelet-serving.
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import { Client } from '../client/client.js';
import { HttpsTransport } from '../client/https-transport.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { splitNames } from '../util/x509-names.js';
import { keyAndCsr } from '../util/x509-jobs.js';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
const NODES_GROUP = 'system:nodes';
const WAIT_MS = 5 * 60_000;
const POLL_MS = 250;

export interface CertAndKey {
  cert: string;
  key: string;
}

export interface NodeCredentialsOptions {
  server: string;
  /** The cluster CA (PEM), already checked against the join token's hash. */
  ca: string;
  /** Where key and certificate are kept (DATA_DIR/agent/pki). */
  dir: string;
  nodeName: string;
  /** `<id>.<secret>`: needed only when no usable certificate is stored. */
  bootstrapToken?: string;
  log: Logger;
}

export const nodeUser = (nodeName: string) => `system:node:${nodeName}`;

export function readPair(dir: string, base: string): CertAndKey | undefined {
  try {
    return { cert: readFileSync(join(dir, `${base}.crt`), 'utf8'), key: readFileSync(join(dir, `${base}.key`), 'utf8') };
  } catch {
    return undefined;
  }
}

// Key first and both 0600, each written whole and renamed into place.
export function writePair(dir: string, base: string, pair: CertAndKey): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [ext, data] of [
    ['key', pair.key],
    ['crt', pair.cert],
  ] as const) {
    const path = join(dir, `${base}.${ext}`);
    writeFileSync(`${path}.tmp`, data, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
}

/** The stored certificate when the cluster CA issued it to `user` and it has not expired. */
export function usableCert(pair: CertAndKey | undefined, ca: string, user: string, now = Date.now()): X509Certificate | undefined {
  if (!pair) return undefined;
  try {
    const c = new X509Certificate(pair.cert);
    const caCert = new X509Certificate(ca);
    if (!c.checkIssued(caCert) || !c.verify(caCert.publicKey)) return undefined;
    if (!new RegExp(`(^|\\n)CN=${user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\n|$)`).test(c.subject)) return undefined;
    if (Date.parse(c.validTo) <= now) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

/** When a certificate should be renewed: at a jittered 70–90 % of its lifetime, as the kubelet does. */
export function rotationDeadline(c: X509Certificate, jitter = Math.random()): number {
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return from + (to - from) * (0.7 + 0.2 * jitter);
}

export interface CsrRequest {
  signerName: string;
  usages: string[];
  cn: string;
  /** The subject's O (default system:nodes). */
  orgs?: string[];
  san?: { hostnames?: string[]; ips?: string[] };
}

/** Creates a CSR with a fresh key and waits until it is signed; throws when it is denied or fails. */
export async function requestCertificate(client: Client, r: CsrRequest, log: Logger, waitMs = WAIT_MS): Promise<CertAndKey> {
  // Key and CSR are made in a short-lived child process: the X.509 library, the agent's largest
  // module, never stays in its heap for the few requests of its life (joining, renewing).
  const san = r.san ? splitNames(r.san.hostnames ?? [], r.san.ips ?? []) : undefined;
  const { keyPem: pem, csrPem: request } = await keyAndCsr(r.cn, r.orgs ?? [NODES_GROUP], san);
  const csrs = client.resource(resources.certificateSigningRequests);
  const created = await csrs.create({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'node-csr-' },
    spec: { request: Buffer.from(request).toString('base64'), signerName: r.signerName, usages: r.usages },
  } as CertificateSigningRequest);
  const name = created.metadata!.name!;
  log.info('waiting for the certificate request to be approved and signed', { csr: name, signer: r.signerName });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const csr = await csrs.get(name);
    const bad = (csr.status?.conditions ?? []).find((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status === 'True');
    if (bad) throw new Error(`certificate request ${name} was ${bad.type.toLowerCase()}: ${bad.reason ?? ''} ${bad.message ?? ''}`.trim());
    if (csr.status?.certificate) return { cert: Buffer.from(csr.status.certificate, 'base64').toString('utf8'), key: pem };
    if (Date.now() > deadline) throw new Error(`certificate request ${name} was not signed within ${Math.round(waitMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export interface NodeCredentials {
  client: CertAndKey;
  /** True when the certificate was obtained now with the bootstrap token. */
  bootstrapped: boolean;
}

/** The node's client certificate: the stored one while it is usable, else one obtained with the bootstrap token. */
export async function ensureNodeClientCert(o: NodeCredentialsOptions): Promise<NodeCredentials> {
  const user = nodeUser(o.nodeName);
  const stored = readPair(o.dir, 'kubelet-client');
  if (usableCert(stored, o.ca, user)) return { client: stored!, bootstrapped: false };
  if (!o.bootstrapToken) throw new Error(`no usable node certificate in ${o.dir} and no join token to request one (give --token-file or SKIFF_TOKEN)`);
  const boot = new Client(new HttpsTransport({ server: o.server, ca: o.ca, token: o.bootstrapToken, userAgent: `skiff-agent/${o.nodeName} (bootstrap)` }));
  try {
    const pair = await requestCertificate(boot, { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'], cn: user }, o.log);
    writePair(o.dir, 'kubelet-client', pair);
    return { client: pair, bootstrapped: true };
  } finally {
    boot.close();
  }
}

/** The node's serving certificate, stored and reused while it still covers `san`. */
export async function ensureNodeServingCert(client: Client, o: NodeCredentialsOptions, san: { hostnames: string[]; ips: string[] }): Promise<CertAndKey> {
  const user = nodeUser(o.nodeName);
  const stored = readPair(o.dir, 'kubelet-serving');
  const c = usableCert(stored, o.ca, user);
  const covers = c && san.ips.every((ip) => c.checkIP(ip)) && san.hostnames.every((h) => c.checkHost(h, { subject: 'never' }));
  if (covers && rotationDeadline(c, 0) > Date.now()) return stored!;
  return renewServingCert(client, o, san)();
}

/**
 * Renews a certificate at its rotation deadline with `renew` and hands the new one to
 * `onRotated`; retries every minute while the server cannot sign.
 */
export function startCertRotation(
  what: string,
  current: CertAndKey,
  renew: () => Promise<CertAndKey>,
  onRotated: (pair: CertAndKey) => void,
  log: Logger,
): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (pair: CertAndKey) => {
    const at = rotationDeadline(new X509Certificate(pair.cert));
    // setTimeout takes at most ~24.8 days; a longer wait is taken in steps.
    const wait = Math.min(Math.max(0, at - Date.now()), 2 ** 31 - 1);
    timer = setTimeout(() => (Date.now() >= at ? void rotate() : schedule(pair)), wait);
    timer.unref();
  };
  const rotate = async () => {
    if (stopped) return;
    try {
      const next = await renew();
      log.info(`${what} certificate rotated`, { notAfter: new X509Certificate(next.cert).validTo });
      onRotated(next);
      if (!stopped) schedule(next);
    } catch (err) {
      log.warn(`${what} certificate rotation failed; retrying in a minute`, { error: (err as Error).message });
      if (!stopped) timer = setTimeout(() => void rotate(), 60_000).unref();
    }
  };
  schedule(current);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Renews the node's client certificate as the node itself (selfnodeclient), storing each new one. */
export function renewClientCert(client: Client, o: NodeCredentialsOptions): () => Promise<CertAndKey> {
  return async () => {
    const next = await requestCertificate(
      client,
      { signerName: KUBELET_CLIENT_SIGNER, usages: ['digital signature', 'client auth'], cn: nodeUser(o.nodeName) },
      o.log,
    );
    writePair(o.dir, 'kubelet-client', next);
    return next;
  };
}

/** Renews the node's serving certificate for `san`, storing each new one. */
export function renewServingCert(client: Client, o: NodeCredentialsOptions, san: { hostnames: string[]; ips: string[] }): () => Promise<CertAndKey> {
  return async () => {
    const next = await requestCertificate(
      client,
      { signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'], cn: nodeUser(o.nodeName), san },
      o.log,
    );
    writePair(o.dir, 'kubelet-serving', next);
    return next;
  };
}
