// The cluster's certificates, kept under <dataDir>/tls/ as k3s does: one CA that signs the
// apiserver's serving certificate and every client certificate (admin, node agents).
//
// Certificates are made with @peculiar/x509 (src/util/x509.ts); node:crypto checks the stored ones.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { loadSigner, name, newKey, selfSigned, signLeaf, type IssueSpec, type Signer, type Usage } from './x509.js';
import { KUBELET_CLIENT_CN, LEAF_LIFETIME_MS, splitNames, type Names } from './x509-names.js';
import { writeFileDurable } from './durable-file.js';

const SERVICE_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
const DAY = 24 * 3600 * 1000;
const CA_LIFETIME = 3650 * DAY;
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
  /** Signs a certificate for a key the caller holds (the CSR signer), capped at the CA's expiry. */
  sign(spec: IssueSpec): Promise<string>;
}

export interface PkiOptions {
  hostnames?: string[];
  ips?: string[];
}

/** A fresh key and a certificate for it signed by `signer`. */
async function issue(signer: Signer, subject: ReturnType<typeof name>, usage: Usage, san?: Names): Promise<CertAndKey> {
  const { keys, pem } = await newKey();
  const cert = await signLeaf(signer, { subject, publicKey: keys.publicKey, usage, san, notAfter: Date.now() + LEAF_LIFETIME_MS });
  return { cert, key: pem };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

// Written to a temporary name, synced and renamed, so neither a crash nor a power cut leaves half a key behind.
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  writeFileDurable(path, data, mode);
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
    ({ certPem: caCertPem, keyPem: caKeyPem } = await selfSigned('skiff-ca', CA_LIFETIME));
    await writeAtomic(path('caKey'), caKeyPem, 0o600);
    await writeAtomic(path('caCert'), caCertPem, 0o644);
    generated = true;
  }
  const signer = await loadSigner(caCertPem, caKeyPem);
  const caX509 = new X509Certificate(caCertPem);

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
    const stored = leafUsable(cert, key, caX509);
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
    sign: (spec) => signLeaf(signer, spec),
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
