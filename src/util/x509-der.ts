// DER encoding of X.509 certificates, written by hand so that the cluster's PKI needs no
// dependency: just the parts Skiff issues (a CA, serving and client certificates, ECDSA).
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';

// Backdated so that a machine whose clock runs a little behind still accepts a fresh cert.
const BACKDATE = 3600 * 1000;

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
  const iso = `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

// ---- DER reading (just enough to take names and key ids out of an existing CA) ----------------

/** One TLV: `raw` is all of it, `body` its content. */
interface Node {
  tag: number;
  raw: Buffer;
  body: Buffer;
}

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
  cn: '2.5.4.3',
  o: '2.5.4.10',
  ski: '2.5.29.14',
  keyUsage: '2.5.29.15',
  san: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  aki: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** The subject name (raw, for the issuer field) and the subject key id of a certificate. */
export function certIdentity(der: Buffer): { subject: Buffer; keyId?: Buffer } {
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
export function keyIdOf(spki: Buffer): Buffer {
  const bitString = children(children(spki)[0]!.body)[1]!.body;
  return createHash('sha1').update(bitString.subarray(1)).digest();
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipBytes(v4[1]!);
    s = `${s.slice(0, v4.index)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(parseInt(g, 16), i * 2);
  });
  return out;
}

// ---- certificates -----------------------------------------------------------------------------

export interface Signer {
  key: KeyObject;
  subject: Buffer;
  keyId: Buffer;
  notAfter: number;
}
export interface Names {
  dns: string[];
  ips: string[];
}

export function name(cn: string, orgs: string[] = []): Buffer {
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

export interface CertSpec {
  subject: Buffer;
  spki: Buffer;
  notAfter: number;
  issuer: Buffer;
  issuerKeyId?: Buffer;
  signingKey: KeyObject;
  ca?: boolean;
  usage?: 'server' | 'client';
  san?: Names;
}

export function buildCert(c: CertSpec): string {
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
