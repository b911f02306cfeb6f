// The cluster's certificates, kept under <dataDir>/tls/ as k3s does: one CA that signs the
// apiserver's serving certificate and every client certificate (admin, node agents).
//
// Certificates are assembled here in DER with node:crypto doing keys and signatures.
// @peculiar/x509 v2 needs a global Reflect-metadata polyfill (tsyringe) and takes ~85 ms just
// to load; the few structures a cluster CA needs are simpler to encode directly, and the
// real kubectl test (Go's crypto/x509) checks the encoding.
import { createHash, createPrivateKey, generateKeyPair, KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify as toYaml } from 'yaml';

const SERVICE_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
const DAY = 24 * 3600 * 1000;
const CA_LIFETIME = 3650 * DAY;
const LEAF_LIFETIME = 365 * DAY;
// Leaf certificates are renewed on start when this close to expiry (as k3s does: 90 days).
const RENEW_BEFORE = 90 * DAY;
// Backdated so that a machine whose clock runs a little behind still accepts a fresh cert.
const BACKDATE = 3600 * 1000;

const FILES = {
  caCert: 'ca.crt', caKey: 'ca.key',
  serverCert: 'serving-kube-apiserver.crt', serverKey: 'serving-kube-apiserver.key',
  adminCert: 'client-admin.crt', adminKey: 'client-admin.key',
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

// ---- DER encoding ---------------------------------------------------------------------------

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.from([0]), b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const TRUE = Buffer.from([0x01, 0x01, 0xff]);
const NULL = Buffer.from([0x05, 0x00]);

function int(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && b[i + 1]! < 0x80) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const b7: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) b7.unshift((v & 0x7f) | 0x80);
    out.push(...b7);
  }
  return tlv(0x06, Buffer.from(out));
}

// RFC 5280: UTCTime through 2049, GeneralizedTime after.
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

// ---- DER reading (just enough to take names and key ids out of an existing CA) ----------------

/** One TLV: `raw` is all of it, `body` its content. */
interface Node { tag: number; raw: Buffer; body: Buffer }

function children(body: Buffer): Node[] {
  const out: Node[] = [];
  for (let p = 0; p < body.length; ) {
    const tag = body[p]!;
    let len = body[p + 1]!;
    let hdr = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + body[p + 2 + i]!;
      hdr += n;
    }
    out.push({ tag, raw: body.subarray(p, p + hdr + len), body: body.subarray(p + hdr, p + hdr + len) });
    p += hdr + len;
  }
  return out;
}

const OID = {
  cn: '2.5.4.3', o: '2.5.4.10',
  ski: '2.5.29.14', keyUsage: '2.5.29.15', san: '2.5.29.17', basicConstraints: '2.5.29.19', aki: '2.5.29.35',
  extKeyUsage: '2.5.29.37', serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** The subject name (raw, for the issuer field) and the subject key id of a certificate. */
function certIdentity(der: Buffer): { subject: Buffer; keyId?: Buffer } {
  const tbs = children(children(children(der)[0]!.body)[0]!.body);
  const off = tbs[0]!.tag === 0xa0 ? 1 : 0; // [0] version is optional
  const subject = tbs[off + 4]!.raw;
  const extsWrapper = tbs.find((n) => n.tag === 0xa3);
  let keyId: Buffer | undefined;
  for (const ext of extsWrapper ? children(children(extsWrapper.body)[0]!.body) : []) {
    const parts = children(ext.body);
    if (parts[0]!.raw.equals(oid(OID.ski))) keyId = children(parts[parts.length - 1]!.body)[0]!.body;
  }
  return { subject, keyId };
}

/** RFC 5280 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdOf(spki: Buffer): Buffer {
  const bitString = children(children(spki)[0]!.body)[1]!.body;
  return createHash('sha1').update(bitString.subarray(1)).digest();
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipBytes(v4[1]!);
    s = s.slice(0, v4.index) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

// ---- certificates -----------------------------------------------------------------------------

interface Signer { key: KeyObject; subject: Buffer; keyId: Buffer; notAfter: number }
interface Names { dns: string[]; ips: string[] }

function name(cn: string, orgs: string[] = []): Buffer {
  // O before CN, in the order Go's pkix.Name writes them.
  const rdn = (type: string, v: string) => set(seq(oid(type), utf8(v)));
  return seq(...orgs.map((o) => rdn(OID.o, o)), rdn(OID.cn, cn));
}

function sigAlgorithm(key: KeyObject): { der: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return { der: seq(oid('1.2.840.10045.4.3.3')), hash: 'sha384' };
    if (curve === 'secp521r1') return { der: seq(oid('1.2.840.10045.4.3.4')), hash: 'sha512' };
    return { der: seq(oid('1.2.840.10045.4.3.2')), hash: 'sha256' };
  }
  if (key.asymmetricKeyType === 'rsa') return { der: seq(oid('1.2.840.113549.1.1.11'), NULL), hash: 'sha256' };
  throw new Error(`unsupported CA key type ${key.asymmetricKeyType}`);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), TRUE, octets(value)) : seq(oid(id), octets(value));
}

// KeyUsage is a named BIT STRING; DER drops trailing zero bits.
function keyUsage(ca: boolean): Buffer {
  return ca
    ? tlv(0x03, Buffer.from([0x01, 0x86])) // digitalSignature, keyCertSign, cRLSign
    : tlv(0x03, Buffer.from([0x07, 0x80])); // digitalSignature (ECDSA keys never encipher)
}

interface CertSpec {
  subject: Buffer; spki: Buffer; notAfter: number;
  issuer: Buffer; issuerKeyId?: Buffer; signingKey: KeyObject;
  ca?: boolean; usage?: 'server' | 'client'; san?: Names;
}

function buildCert(c: CertSpec): string {
  const now = Date.now();
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x3f) | 0x40; // positive and minimal: Go rejects negative serials
  const exts = [
    extension(OID.basicConstraints, true, c.ca ? seq(TRUE) : seq()),
    extension(OID.keyUsage, true, keyUsage(!!c.ca)),
    extension(OID.ski, false, octets(keyIdOf(c.spki))),
  ];
  if (c.usage) exts.push(extension(OID.extKeyUsage, false, seq(oid(c.usage === 'server' ? OID.serverAuth : OID.clientAuth))));
  if (c.issuerKeyId) exts.push(extension(OID.aki, false, seq(tlv(0x80, c.issuerKeyId))));
  if (c.san && c.san.dns.length + c.san.ips.length > 0) {
    const gn = [...c.san.dns.map((d) => tlv(0x82, Buffer.from(d))), ...c.san.ips.map((ip) => tlv(0x87, ipBytes(ip)))];
    exts.push(extension(OID.san, false, seq(...gn)));
  }
  const alg = sigAlgorithm(c.signingKey);
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))),
    int(serial),
    alg.der,
    c.issuer,
    seq(time(new Date(now - BACKDATE)), time(new Date(c.notAfter))),
    c.subject,
    c.spki,
    tlv(0xa3, seq(...exts)),
  );
  const der = seq(tbs, alg.der, bits(sign(alg.hash, tbs, c.signingKey)));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
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
  return (
    san.dns.every((n) => c.checkHost(n, { subject: 'never', wildcards: false }) !== undefined) &&
    san.ips.every((ip) => c.checkIP(ip) !== undefined)
  );
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

  const san = splitNames(
    [...SERVICE_NAMES, 'localhost', osHostname(), ...(opts.hostnames ?? [])],
    ['127.0.0.1', '::1', ...(opts.ips ?? [])],
  );

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
  const server = await leaf('serverCert', 'serverKey', (c) => coversNames(c, san), () =>
    issue(signer, name('kube-apiserver'), 'server', san),
  );
  const admin = await leaf('adminCert', 'adminKey', () => true, () =>
    issue(signer, name('system:admin', ['system:masters']), 'client'),
  );

  return {
    dir,
    caCert: caCertPem,
    caKey: caKeyPem,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    generated,
    issueClientCert: (cn, groups) => issue(signer, name(cn, groups), 'client'),
    issueServingCert: (cn, names) =>
      issue(signer, name(cn), 'server', splitNames(names.hostnames ?? [], names.ips ?? [])),
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
