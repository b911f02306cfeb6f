// DNS messages on the wire: a strict parser for the one-question queries a stub resolver
// sends (anything else is answered FORMERR/NOTIMP or dropped, never thrown at the
// server), the encoder of Skiff's own answers (records through dns-packet), and a walker
// over upstream responses that finds every TTL without decoding the records, so that the
// forwarder relays and caches upstream bytes as they came.
import dnsPacket from 'dns-packet';
import type { RR } from './records.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;
export const TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255 } as const;
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([k, v]) => [v, k]));
export const CLASS_IN = 1;
/** What Skiff offers as its EDNS0 UDP payload size (the DNS flag day 2020 value). */
export const EDNS_UDP_SIZE = 1232;
export const PLAIN_UDP_SIZE = 512;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;

interface RecordCoder {
  encode: ((rr: unknown, buf: Buffer, offset: number) => Buffer) & { bytes: number };
  encodingLength(rr: unknown): number;
}
// dns-packet's record coder (exported, though its type definitions leave it out).
const answerCoder = (dnsPacket as unknown as { answer: RecordCoder }).answer;

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface Query {
  id: number;
  /** The header's RD bit. */
  recursionDesired: boolean;
  /** The name as asked (case kept), without the trailing dot; '' for the root. */
  name: string;
  type: number;
  /** dns-packet's name for the type (A, SRV …) or TYPE<n>. */
  typeName: string;
  class: number;
  /** The question section's bytes, echoed in every answer. */
  question: Buffer;
  edns?: Edns;
}

/** A query, or what to send back instead (undefined: drop the packet silently). */
export type Parsed = { query: Query } | { reply?: Buffer; reason: string };

function headerOnly(buf: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(buf.readUInt16BE(0), 0);
  // Opcode and RD are echoed, as RFC 1035 asks of a response.
  out.writeUInt16BE(QR | (buf.readUInt16BE(2) & (0x7800 | RD)) | (rcode & 0xf), 2);
  return out;
}

/** Skips a (possibly compressed) name; the offset after it, or -1 when malformed. */
function skipName(buf: Buffer, offset: number): number {
  for (let i = 0; i < 128; i++) {
    if (offset >= buf.length) return -1;
    const len = buf[offset]!;
    if (len === 0) return offset + 1;
    if ((len & 0xc0) === 0xc0) return offset + 2 <= buf.length ? offset + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    offset += len + 1;
  }
  return -1;
}

export function parseQuery(buf: Buffer): Parsed {
  // Too short to carry an ID: nothing can be answered.
  if (buf.length < 12) return { reason: 'truncated header' };
  const flags = buf.readUInt16BE(2);
  if (flags & QR) return { reason: 'a response, not a query' };
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  const ns = buf.readUInt16BE(8);
  const ar = buf.readUInt16BE(10);
  if ((flags >> 11) & 0xf) return { reply: headerOnly(buf, RCODE.NOTIMP), reason: 'opcode not supported' };
  if (qd !== 1) return { reply: headerOnly(buf, RCODE.FORMERR), reason: `${qd} questions` };
  // The question's name: plain labels only (a pointer has nothing before it to point at).
  let off = 12;
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (off >= buf.length) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'question runs past the message' };
    const len = buf[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63 || off + 1 + len > buf.length) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'bad label in question' };
    total += len + 1;
    if (total > 254) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'name too long' };
    const label = buf.toString('latin1', off + 1, off + 1 + len);
    if (label.includes('.')) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'dot inside a label' };
    labels.push(label);
    off += len + 1;
  }
  if (off + 4 > buf.length) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'question runs past the message' };
  const type = buf.readUInt16BE(off);
  const klass = buf.readUInt16BE(off + 2);
  off += 4;
  const question = buf.subarray(12, off);
  // Records after the question: only an OPT in the additional section means anything to us.
  let edns: Edns | undefined;
  if (an + ns + ar > 16) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'too many records in a query' };
  for (let i = 0; i < an + ns + ar; i++) {
    const nameEnd = skipName(buf, off);
    if (nameEnd < 0 || nameEnd + 10 > buf.length) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'malformed record after the question' };
    const rtype = buf.readUInt16BE(nameEnd);
    const rdlen = buf.readUInt16BE(nameEnd + 8);
    if (nameEnd + 10 + rdlen > buf.length) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'record data runs past the message' };
    if (rtype === TYPE.OPT) {
      if (edns || i < an + ns || nameEnd !== off + 1) return { reply: headerOnly(buf, RCODE.FORMERR), reason: 'misplaced or repeated OPT record' };
      const ttl = buf.readUInt32BE(nameEnd + 4);
      edns = { udpSize: Math.max(PLAIN_UDP_SIZE, buf.readUInt16BE(nameEnd + 2)), version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 };
    }
    off = nameEnd + 10 + rdlen;
  }
  return {
    query: {
      id: buf.readUInt16BE(0),
      recursionDesired: (flags & RD) !== 0,
      name: labels.join('.'),
      type,
      typeName: TYPE_NAMES.get(type) ?? `TYPE${type}`,
      class: klass,
      question,
      edns,
    },
  };
}

export interface ResponseParts {
  rcode: number;
  authoritative?: boolean;
  answers?: RR[];
  authorities?: RR[];
  additionals?: RR[];
}

function optRecord(q: Query, rcode: number): Buffer {
  const out = Buffer.alloc(11);
  out.writeUInt16BE(TYPE.OPT, 1);
  out.writeUInt16BE(EDNS_UDP_SIZE, 3);
  out.writeUInt8(rcode >> 4, 5);
  out.writeUInt16BE(q.edns!.dnssecOk ? 0x8000 : 0, 7);
  return out;
}

function header(q: Query, rcode: number, counts: [number, number, number, number], extra: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(q.id, 0);
  h.writeUInt16BE(QR | (q.recursionDesired ? RD : 0) | RA | extra | (rcode & 0xf), 2);
  for (const [i, c] of counts.entries()) h.writeUInt16BE(c, 4 + i * 2);
  return h;
}

/** Header and question only, TC set: "ask again over TCP". */
export function truncated(q: Query, rcode = 0, authoritative = false): Buffer {
  const opt = q.edns ? [optRecord(q, rcode)] : [];
  return Buffer.concat([header(q, rcode, [1, 0, 0, opt.length], TC | (authoritative ? AA : 0)), q.question, ...opt]);
}

/** Skiff's own answer, encoded; over `limit` bytes it becomes a truncated one. */
export function encodeResponse(q: Query, parts: ResponseParts, limit = Infinity): Buffer {
  const lists = [parts.answers ?? [], parts.authorities ?? [], parts.additionals ?? []];
  const opt = q.edns ? optRecord(q, parts.rcode) : undefined;
  let size = 12 + q.question.length + (opt?.length ?? 0);
  for (const list of lists) for (const rr of list) size += answerCoder.encodingLength(rr);
  if (size > limit) return truncated(q, parts.rcode, parts.authoritative);
  const buf = Buffer.alloc(size);
  header(q, parts.rcode, [1, lists[0]!.length, lists[1]!.length, lists[2]!.length + (opt ? 1 : 0)], parts.authoritative ? AA : 0).copy(buf, 0);
  q.question.copy(buf, 12);
  let off = 12 + q.question.length;
  for (const list of lists)
    for (const rr of list) {
      answerCoder.encode(rr, buf, off);
      off += answerCoder.encode.bytes;
    }
  opt?.copy(buf, off);
  return buf;
}

/** Where an upstream response's records sit: TTL offsets, the negative-answer TTL, the OPT. */
export interface MessageLayout {
  rcode: number;
  truncated: boolean;
  answerCount: number;
  /** Offsets of the TTL fields of every record but OPT. */
  ttlOffsets: number[];
  /** Smallest TTL of the answer and authority records (undefined when there are none). */
  minTtl?: number;
  /** min(SOA TTL, SOA minimum) of an SOA in the authority section (RFC 2308's negative TTL). */
  negativeTtl?: number;
  /** [start, end) of an OPT record that ends the message, to cut for a client without EDNS. */
  trailingOpt?: [number, number];
}

/** Walks a response without decoding it; undefined when malformed. */
export function walkResponse(buf: Buffer): MessageLayout | undefined {
  if (buf.length < 12) return undefined;
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  let off = 12;
  for (let i = 0; i < counts[0]!; i++) {
    off = skipName(buf, off);
    if (off < 0 || off + 4 > buf.length) return undefined;
    off += 4;
  }
  const out: MessageLayout = { rcode: flags & 0xf, truncated: (flags & TC) !== 0, answerCount: counts[1]!, ttlOffsets: [] };
  const sections = [counts[1]!, counts[2]!, counts[3]!];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < sections[s]!; i++) {
      const start = off;
      const nameEnd = skipName(buf, off);
      if (nameEnd < 0 || nameEnd + 10 > buf.length) return undefined;
      const type = buf.readUInt16BE(nameEnd);
      const ttl = buf.readUInt32BE(nameEnd + 4);
      const rdlen = buf.readUInt16BE(nameEnd + 8);
      off = nameEnd + 10 + rdlen;
      if (off > buf.length) return undefined;
      if (type === TYPE.OPT) {
        if (off === buf.length && s === 2) out.trailingOpt = [start, off];
        continue;
      }
      out.ttlOffsets.push(nameEnd + 4);
      if (s < 2) out.minTtl = Math.min(out.minTtl ?? ttl, ttl);
      if (s === 1 && type === TYPE.SOA && rdlen >= 20) out.negativeTtl = Math.min(ttl, buf.readUInt32BE(off - 4));
    }
  }
  return out;
}

/**
 * An upstream response made fit for one client: its ID and question spelling, TTLs aged
 * by `ageSeconds`, the OPT cut when the client sent none, TC when over its limit.
 */
export function relayResponse(q: Query, upstream: Buffer, layout: MessageLayout, ageSeconds: number, limit: number): Buffer {
  let buf = Buffer.from(upstream);
  buf.writeUInt16BE(q.id, 0);
  // Same name ignoring case, so the same length: the client's spelling goes back to it.
  if (buf.length >= 12 + q.question.length) q.question.copy(buf, 12);
  if (ageSeconds > 0) for (const o of layout.ttlOffsets) buf.writeUInt32BE(Math.max(0, buf.readUInt32BE(o) - ageSeconds), o);
  const flags = (buf.readUInt16BE(2) & ~(RD | AA)) | (q.recursionDesired ? RD : 0) | RA;
  if (!q.edns && layout.trailingOpt) {
    buf = buf.subarray(0, layout.trailingOpt[0]);
    buf.writeUInt16BE(buf.readUInt16BE(10) - 1, 10);
  }
  buf.writeUInt16BE(flags, 2);
  return buf.length > limit ? truncated(q, layout.rcode) : buf;
}

/** The UDP payload a client accepts. */
export function udpLimit(q: Query): number {
  return q.edns ? Math.min(Math.max(q.edns.udpSize, PLAIN_UDP_SIZE), 65535) : PLAIN_UDP_SIZE;
}

/** A one-question query for the forwarder, with EDNS0 so that upstreams answer in full over UDP. */
export function buildUpstreamQuery(id: number, question: Buffer, dnssecOk: boolean): Buffer {
  const buf = Buffer.alloc(12 + question.length + 11);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(RD, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(1, 10);
  question.copy(buf, 12);
  const o = 12 + question.length;
  buf.writeUInt16BE(TYPE.OPT, o + 1);
  buf.writeUInt16BE(EDNS_UDP_SIZE, o + 3);
  buf.writeUInt16BE(dnssecOk ? 0x8000 : 0, o + 7);
  return buf;
}

/** A plain response with only a header, question and rcode (SERVFAIL, REFUSED …). */
export function rcodeOnly(q: Query, rcode: number): Buffer {
  return encodeResponse(q, { rcode });
}
