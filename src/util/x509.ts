// X.509 certificates and PKCS#10 requests through @peculiar/x509 on Node's WebCrypto: the
// few shapes Skiff issues (a CA, serving and client certificates, ECDSA P-256 keys) and the
// requests node agents send through the CSR API.
import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Names } from './x509-names.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const subtle = webcrypto.subtle;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
// Backdated (as Kubernetes' signer does) so that a machine whose clock runs a little behind
// still accepts a fresh cert.
const BACKDATE = 5 * 60 * 1000;

export type Usage = 'server' | 'client' | 'server-client';

/** A CA able to sign: its certificate, its private key, and when it expires. */
export interface Signer {
  cert: x509.X509Certificate;
  key: CryptoKey;
  signingAlgorithm: EcdsaParams | Algorithm;
  notAfter: number;
}

/** A fresh P-256 key: the WebCrypto pair and the SEC1 PEM ("EC PRIVATE KEY") k3s and kubeadm write. */
export async function newKey(): Promise<{ keys: CryptoKeyPair; pem: string }> {
  const keys = (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  const pem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'sec1' }).toString();
  return { keys, pem };
}

/** Reads a PEM private key (EC or RSA, any encoding) as a WebCrypto signing key. */
export async function importSigningKey(pem: string): Promise<{ key: CryptoKey; signingAlgorithm: EcdsaParams | Algorithm }> {
  const ko = createPrivateKey(pem);
  const der = ko.export({ format: 'der', type: 'pkcs8' });
  if (ko.asymmetricKeyType === 'ec') {
    const curve = ko.asymmetricKeyDetails?.namedCurve;
    const [namedCurve, hash] = curve === 'secp384r1' ? ['P-384', 'SHA-384'] : curve === 'secp521r1' ? ['P-521', 'SHA-512'] : ['P-256', 'SHA-256'];
    const key = await subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key, signingAlgorithm: { name: 'ECDSA', hash } as EcdsaParams };
  }
  if (ko.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { key: await subtle.importKey('pkcs8', der, alg, false, ['sign']), signingAlgorithm: alg };
  }
  throw new Error(`unsupported CA key type ${ko.asymmetricKeyType}`);
}

export async function loadSigner(certPem: string, keyPem: string): Promise<Signer> {
  const nodeCert = new NodeX509(certPem);
  if (!nodeCert.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('CA certificate and key do not match');
  const { key, signingAlgorithm } = await importSigningKey(keyPem);
  return { cert: new x509.X509Certificate(certPem), key, signingAlgorithm, notAfter: new Date(nodeCert.validTo).getTime() };
}

/** A distinguished name: O entries before CN, in the order Go's pkix.Name writes them. */
export function name(cn: string, orgs: string[] = []): x509.JsonName {
  return [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }];
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40; // positive and minimal: Go rejects negative serials
  return b.toString('hex');
}

function usageExtensions(usage: Usage): x509.Extension[] {
  const eku =
    usage === 'server'
      ? [x509.ExtendedKeyUsage.serverAuth]
      : usage === 'client'
        ? [x509.ExtendedKeyUsage.clientAuth]
        : [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth];
  return [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true), new x509.ExtendedKeyUsageExtension(eku, false)];
}

function sanExtension(san: Names): x509.Extension | undefined {
  const items = [...san.dns.map((value) => ({ type: 'dns' as const, value })), ...san.ips.map((value) => ({ type: 'ip' as const, value }))];
  return items.length ? new x509.SubjectAlternativeNameExtension(items, false) : undefined;
}

/** A self-signed certificate: a CA (`usage` undefined) or a serving certificate nobody checks against a CA. */
export async function selfSigned(cn: string, lifetimeMs: number, usage?: Usage, san?: Names): Promise<{ certPem: string; keyPem: string }> {
  const { keys, pem } = await newKey();
  const now = Date.now();
  const ext = san && sanExtension(san);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: name(cn),
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(now + lifetimeMs),
    keys,
    signingAlgorithm: { ...EC, hash: 'SHA-256' },
    extensions: usage
      ? [...usageExtensions(usage), ...(ext ? [ext] : [])]
      : [
          new x509.BasicConstraintsExtension(true, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
  });
  return { certPem: cert.toString('pem'), keyPem: pem };
}

export interface IssueSpec {
  subject: x509.JsonName | x509.Name;
  /** The subject's public key: a WebCrypto key or SPKI DER. */
  publicKey: CryptoKey | ArrayBuffer;
  usage: Usage;
  san?: Names;
  notAfter: number;
}

/** A leaf certificate signed by `signer`, never outliving it. */
export async function signLeaf(signer: Signer, spec: IssueSpec): Promise<string> {
  const now = Date.now();
  const publicKey = spec.publicKey;
  const san = spec.san && sanExtension(spec.san);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    // The issuer is the CA's subject as stored, so that verifiers comparing raw names match it.
    issuer: signer.cert.subjectName,
    subject: spec.subject,
    notBefore: new Date(now - BACKDATE),
    notAfter: new Date(Math.min(spec.notAfter, signer.notAfter)),
    publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.signingAlgorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      ...usageExtensions(spec.usage),
      await x509.AuthorityKeyIdentifierExtension.create(signer.cert, false),
      ...(san ? [san] : []),
    ],
  });
  return cert.toString('pem');
}

/** A PEM "CERTIFICATE REQUEST" for `subject`, signed with `keys`; with SANs when given. */
export async function createCsr(keys: CryptoKeyPair, cn: string, orgs: string[], san?: Names): Promise<string> {
  const ext = san && sanExtension(san);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: name(cn, orgs),
    keys,
    signingAlgorithm: { ...EC, hash: 'SHA-256' },
    extensions: ext ? [ext] : [],
  });
  return csr.toString('pem');
}

/** What a certificate request asks for, once its self-signature is checked. */
export interface ParsedCsr {
  subject: x509.JsonName;
  commonName?: string;
  organizations: string[];
  /** Attribute types present in the subject besides CN and O (OU, C, L…). */
  otherSubjectTypes: string[];
  dnsNames: string[];
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  spki: ArrayBuffer;
}

function csrOf(pem: string): x509.Pkcs10CertificateRequest {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]+?)-----END \1-----/.exec(pem);
  if (!m || m[1] !== 'CERTIFICATE REQUEST') throw new Error('PEM block type must be CERTIFICATE REQUEST');
  try {
    return new x509.Pkcs10CertificateRequest(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  } catch (e) {
    throw new Error(`asn1: structure error: ${(e as Error).message}`);
  }
}

/** Parses a PEM CSR (the first PEM block); throws with the reason when it is not one. */
export function parseCsr(pem: string): ParsedCsr {
  const csr = csrOf(pem);
  const subject = csr.subjectName.toJSON();
  const values = (type: string) => subject.flatMap((rdn) => rdn[type] ?? []);
  const other = [...new Set(subject.flatMap((rdn) => Object.keys(rdn)).filter((t) => t !== 'CN' && t !== 'O'))];
  const sanExt = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  const general = sanExt?.names.items ?? [];
  const of = (type: string) => general.filter((g) => g.type === type).map((g) => g.value);
  return {
    subject,
    commonName: values('CN')[0],
    organizations: values('O'),
    otherSubjectTypes: other,
    dnsNames: of('dns'),
    ipAddresses: of('ip'),
    emailAddresses: of('email'),
    uris: of('url'),
    spki: csr.publicKey.rawData,
  };
}

/** Whether the request is signed by the key it carries (checked by the signer, as Go's CheckSignature). */
export async function csrSignatureValid(pem: string): Promise<boolean> {
  try {
    return await csrOf(pem).verify();
  } catch {
    return false;
  }
}
