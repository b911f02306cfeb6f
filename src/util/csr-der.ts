// PKCS#10 certificate requests (RFC 2986) written with node:crypto alone: a node agent asks
// for its certificates this way and so needs no X.509 library in memory for the rest of
// its life (the ASN.1 and X.509 modules were a tenth of an idle agent's heap). A request
// is subject (O…, CN), the public key, and optionally a subjectAltName extension request,
// signed with ECDSA P-256/SHA-256.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { Names } from './x509-names.js';

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...body: Buffer[]): Buffer => {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([tag]), derLength(b.length), b]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a! + b!];
  for (const n of rest) {
    const digits = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) digits.unshift((v & 0x7f) | 0x80);
    out.push(...digits);
  }
  return tlv(0x06, Buffer.from(out));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
};

/** IPv4 or IPv6 text (also with an embedded IPv4 tail, ::ffff:10.0.0.1) → its 4 or 16 bytes. */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const v4tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  const text = v4tail ? `${v4tail[1]}${ipBytes(v4tail[2]!).readUInt16BE(0).toString(16)}:${ipBytes(v4tail[2]!).readUInt16BE(2).toString(16)}` : ip;
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(all[i] ?? 0, i * 2);
  return out;
}

function subjectAltNames(san: Names): Buffer {
  // GeneralName: [2] dNSName and [7] iPAddress, both implicitly tagged primitives.
  const names = [...san.dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...san.ips.map((ip) => tlv(0x87, ipBytes(ip)))];
  const extension = seq(oid(OID.subjectAltName), tlv(0x04, seq(...names)));
  return seq(oid(OID.extensionRequest), set(seq(extension)));
}

/** A fresh ECDSA P-256 key: the key object and its PEM (SEC1 "EC PRIVATE KEY", as Kubernetes writes). */
export function newEcKey(): { key: KeyObject; pem: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { key: privateKey, pem: privateKey.export({ format: 'pem', type: 'sec1' }).toString() };
}

/** A PEM "CERTIFICATE REQUEST" for O=orgs…, CN=cn, signed with `key`; with SANs when given. */
export function createCsrPem(key: KeyObject | string, cn: string, orgs: string[], san?: Names): string {
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  const subject = seq(...orgs.map((o) => set(seq(oid(OID.organization), utf8(o)))), set(seq(oid(OID.commonName), utf8(cn))));
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const attributes = san && san.dns.length + san.ips.length > 0 ? tlv(0xa0, subjectAltNames(san)) : tlv(0xa0);
  const info = seq(tlv(0x02, Buffer.from([0])), subject, spki, attributes);
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(info, seq(oid(OID.ecdsaWithSHA256)), tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}
