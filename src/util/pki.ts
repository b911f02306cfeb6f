// The cluster's certificates, kept under <dataDir>/tls/ as k3s does: one CA that signs the
// apiserver's serving certificate and every client certificate (admin, node agents).
//
// Certificates are assembled here in DER with node:crypto doing keys and signatures.
// @peculiar/x509 v2 needs a global Reflect-metadata polyfill (tsyringe) and takes ~85 ms just
// to load; the few structures a cluster CA needs are simpler to encode directly, and the
// real kubectl test (Go's crypto/x509) checks the encoding.
import { createPrivateKey, generateKeyPair, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { buildCert, certIdentity, keyIdOf, name, type Names, type Signer } from './x509-der.js';

const SERVICE_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
const DAY = 24 * 3600 * 1000;
const CA_LIFETIME = 3650 * DAY;
const LEAF_LIFETIME = 365 * DAY;
// Leaf certificates are renewed on start when this close to expiry (as k3s does: 90 days).
const RENEW_BEFORE = 90 * DAY;

const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'serving-kube-apiserver.crt',
  serverKey: 'serving-kube-apiserver.key',
  adminCert: 'client-admin.crt',
  adminKey: 'client-admin.key',
  kubeletClientCert: 'client-kube-apiserver-kubelet.crt',
  kubeletClientKey: 'client-kube-apiserver-kubelet.key',
} as const;

/** The apiserver's identity towards node agents (their port 10250), as kubeadm names it. */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client';

export interface CertAndKey {
  cert: string;
  key: string;
}

export interface Pki {
  /** Directory holding the files (<dataDir>/tls). */
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  /** The apiserver's client certificate for calling node agents (logs, exec, port-forward). */
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** True when this call (re)generated anything. */
  generated: boolean;
  /** A client certificate for `cn` with `groups` as O entries, signed by the cluster CA. */
  issueClientCert(cn: string, groups: string[]): Promise<CertAndKey>;
  /** A serving certificate (e.g. for a node agent's HTTPS server), signed by the cluster CA. */
  issueServingCert(cn: string, names: { hostnames?: string[]; ips?: string[] }): Promise<CertAndKey>;
}

export interface PkiOptions {
  hostnames?: string[];
  ips?: string[];
}

const genKeyPair = promisify(generateKeyPair);

async function newKey(): Promise<{ key: KeyObject; spki: Buffer; pem: string }> {
  const { privateKey, publicKey } = await genKeyPair('ec', { namedCurve: 'prime256v1' });
  // SEC1 ("EC PRIVATE KEY") is what k3s and kubeadm write; every TLS stack reads it.
  const pem = privateKey.export({ format: 'pem', type: 'sec1' }).toString();
  return { key: privateKey, spki: publicKey.export({ format: 'der', type: 'spki' }), pem };
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const { key, spki, pem } = await newKey();
  const subject = name('skiff-ca');
  const notAfter = Date.now() + CA_LIFETIME;
  return { certPem: buildCert({ subject, spki, issuer: subject, signingKey: key, notAfter, ca: true }), keyPem: pem };
}

function loadCa(certPem: string, keyPem: string): Signer & { cert: X509Certificate } {
  const key = createPrivateKey(keyPem);
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(key)) throw new Error('CA certificate and key do not match');
  const { subject, keyId } = certIdentity(cert.raw);
  const spki = cert.publicKey.export({ format: 'der', type: 'spki' });
  return { key, cert, subject, keyId: keyId ?? keyIdOf(spki), notAfter: new Date(cert.validTo).getTime() };
}

async function issue(signer: Signer, subject: Buffer, usage: 'server' | 'client', san?: Names): Promise<CertAndKey> {
  const { spki, pem } = await newKey();
  const notAfter = Math.min(Date.now() + LEAF_LIFETIME, signer.notAfter);
  const cert = buildCert({ subject, spki, issuer: signer.subject, issuerKeyId: signer.keyId, signingKey: signer.key, notAfter, usage, san });
  return { cert, key: pem };
}

function splitNames(hostnames: string[], ips: string[]): Names {
  const dns = new Set<string>();
  const ipSet = new Set<string>();
  for (const n of [...hostnames, ...ips]) {
    const v = n.trim();
    if (!v) continue;
    if (isIP(v)) ipSet.add(v);
    else dns.add(v.toLowerCase());
  }
  return { dns: [...dns], ips: [...ipSet] };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

// Written to a temporary name and renamed, so a crash never leaves half a key behind.
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

/** Whether a stored leaf cert is still usable: issued by this CA, not near expiry, key matches. */
function leafUsable(certPem: string | undefined, keyPem: string | undefined, ca: X509Certificate): X509Certificate | undefined {
  if (!certPem || !keyPem) return undefined;
  try {
    const c = new X509Certificate(certPem);
    if (!c.checkIssued(ca) || !c.verify(ca.publicKey)) return undefined;
    if (new Date(c.validTo).getTime() - Date.now() < RENEW_BEFORE) return undefined;
    if (!c.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

function coversNames(c: X509Certificate, san: Names): boolean {
  // subject: 'never' because Go ignores the CN for host verification.
  return san.dns.every((n) => c.checkHost(n, { subject: 'never', wildcards: false }) !== undefined) && san.ips.every((ip) => c.checkIP(ip) !== undefined);
}

/**
 * Creates the cluster's certificates on first start and reuses them afterwards. The serving
 * certificate is reissued when it no longer covers the requested names, and leaf certificates
 * are renewed when they near expiry; the CA is never replaced while its files exist.
 */
export async function ensurePki(dataDir: string, opts: PkiOptions = {}): Promise<Pki> {
  const dir = join(dataDir, 'tls');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = (f: keyof typeof FILES) => join(dir, FILES[f]);
  let generated = false;

  let caCertPem = await readIfExists(path('caCert'));
  let caKeyPem = await readIfExists(path('caKey'));
  if (!caCertPem || !caKeyPem) {
    ({ certPem: caCertPem, keyPem: caKeyPem } = await createCa());
    await writeAtomic(path('caKey'), caKeyPem, 0o600);
    await writeAtomic(path('caCert'), caCertPem, 0o644);
    generated = true;
  }
  const signer = loadCa(caCertPem, caKeyPem);

  const san = splitNames([...SERVICE_NAMES, 'localhost', osHostname(), ...(opts.hostnames ?? [])], ['127.0.0.1', '::1', ...(opts.ips ?? [])]);

  // A stored leaf is kept while it still fits; otherwise a fresh one is issued and stored.
  const leaf = async (
    certFile: keyof typeof FILES,
    keyFile: keyof typeof FILES,
    fits: (c: X509Certificate) => boolean,
    make: () => Promise<CertAndKey>,
  ): Promise<CertAndKey> => {
    const cert = await readIfExists(path(certFile));
    const key = await readIfExists(path(keyFile));
    const stored = leafUsable(cert, key, signer.cert);
    if (stored && fits(stored)) return { cert: cert!, key: key! };
    const issued = await make();
    await writeAtomic(path(keyFile), issued.key, 0o600);
    await writeAtomic(path(certFile), issued.cert, 0o644);
    generated = true;
    return issued;
  };
  const server = await leaf(
    'serverCert',
    'serverKey',
    (c) => coversNames(c, san),
    () => issue(signer, name('kube-apiserver'), 'server', san),
  );
  const admin = await leaf(
    'adminCert',
    'adminKey',
    () => true,
    () => issue(signer, name('system:admin', ['system:masters']), 'client'),
  );
  const kubeletClient = await leaf(
    'kubeletClientCert',
    'kubeletClientKey',
    () => true,
    () => issue(signer, name(KUBELET_CLIENT_CN, ['system:masters']), 'client'),
  );

  return {
    dir,
    caCert: caCertPem,
    caKey: caKeyPem,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    kubeletClientCert: kubeletClient.cert,
    kubeletClientKey: kubeletClient.key,
    generated,
    issueClientCert: (cn, groups) => issue(signer, name(cn, groups), 'client'),
    issueServingCert: (cn, names) => issue(signer, name(cn), 'server', splitNames(names.hostnames ?? [], names.ips ?? [])),
  };
}

export interface KubeconfigOptions {
  server: string;
  caCert: string;
  clientCert: string;
  clientKey: string;
  clusterName?: string;
  user?: string;
  context?: string;
}

/** Writes a kubeconfig with embedded (*-data) credentials, readable by its owner only. */
export async function writeKubeconfig(path: string, o: KubeconfigOptions): Promise<void> {
  const cluster = o.clusterName ?? 'skiff';
  const user = o.user ?? 'admin';
  const context = o.context ?? 'default';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: o.server, 'certificate-authority-data': b64(o.caCert) } }],
    contexts: [{ name: context, context: { cluster, user } }],
    'current-context': context,
    preferences: {},
    users: [{ name: user, user: { 'client-certificate-data': b64(o.clientCert), 'client-key-data': b64(o.clientKey) } }],
  };
  await writeAtomic(path, toYaml(doc), 0o600);
}

/**
 * A self-signed serving certificate, for a node agent that joins a server remotely and has
 * no access to the CA key (the apiserver does not verify agents' serving certificates).
 */
export async function selfSignedServingCert(cn: string, names: { hostnames?: string[]; ips?: string[] }): Promise<CertAndKey> {
  const { key, spki, pem } = await newKey();
  const subject = name(cn);
  const san = splitNames(names.hostnames ?? [], names.ips ?? []);
  return { cert: buildCert({ subject, spki, issuer: subject, signingKey: key, notAfter: Date.now() + LEAF_LIFETIME, usage: 'server', san }), key: pem };
}
