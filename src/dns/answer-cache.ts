// Cluster answers kept encoded, found straight from the query's bytes: the header and
// question are checked by hand, the name hashed lower-cased, and a hit only needs its
// 2-byte ID and the asker's spelling of the name copied in. No decoding, no strings, no
// record encoding on the hot path; anything unusual (several questions, compression, an
// EDNS version other than 0, records besides one OPT) is left to the full parser.
// The server clears the cache on every cluster change (informer events are delivered
// synchronously), so an answer is never older than the objects it was built from.
import { PLAIN_UDP_SIZE } from './wire.js';

const RD = 0x01;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Flag byte of the key: RD, EDNS present, DO (they change the encoded answer). */
const KEY_RD = 1;
const KEY_EDNS = 2;
const KEY_DO = 4;

export interface CachedAnswer {
  /** Lower-cased name, exact type and class, then the flag byte. */
  readonly key: Buffer;
  readonly nameLength: number;
  /** The whole answer as first encoded (any ID, any spelling of the name). */
  readonly response: Buffer;
  /** Where the question's name is written out in full: the question and matching owner names. */
  readonly nameOffsets: number[];
  readonly typeName: string;
  readonly rcode: number;
  /** The answer last lent for a UDP send, reused while no send keeps it (see lend()). */
  spare?: Buffer;
}

/** The parts of a query the cache looks at; `ok` false when the query is not a plain one. */
interface Probe {
  ok: boolean;
  hash: number;
  nameLength: number;
  /** End of the question (type and class included), from the start of the message. */
  questionEnd: number;
  flags: number;
  /** The UDP payload size the asker accepts. */
  udpLimit: number;
}

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** Reads a plain one-question query (optionally one OPT); fills `p`. */
function probe(msg: Buffer, p: Probe): boolean {
  p.ok = false;
  const n = msg.length;
  if (n < 17 || n > 4096) return false;
  // QR and opcode clear; one question, no answers or authorities, at most one additional.
  if ((msg[2]! & 0xf8) !== 0 || msg[4] !== 0 || msg[5] !== 1 || msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0 || msg[10] !== 0) return false;
  const additionals = msg[11]!;
  if (additionals > 1) return false;
  let h = FNV_OFFSET;
  let off = 12;
  for (;;) {
    const len = msg[off]!;
    if (len === 0) break;
    if (len > 63 || off + 1 + len >= n) return false;
    h = Math.imul(h ^ len, FNV_PRIME);
    for (let i = off + 1; i <= off + len; i++) {
      const c = msg[i]!;
      // A dot inside a label is answered FORMERR by the full parser.
      if (c === 0x2e) return false;
      h = Math.imul(h ^ lower(c), FNV_PRIME);
    }
    off += len + 1;
  }
  const nameLength = off + 1 - 12;
  if (nameLength > 255) return false;
  const questionEnd = off + 5;
  if (questionEnd > n) return false;
  for (let i = off + 1; i < questionEnd; i++) h = Math.imul(h ^ msg[i]!, FNV_PRIME);
  let flags = msg[2]! & RD ? KEY_RD : 0;
  let udpLimit = PLAIN_UDP_SIZE;
  if (additionals === 1) {
    // OPT: root owner, type 41, class = payload size, TTL = extended rcode, version, DO.
    const o = questionEnd;
    if (o + 11 > n || msg[o] !== 0 || msg[o + 1] !== 0 || msg[o + 2] !== 41 || msg[o + 6] !== 0) return false;
    if (o + 11 + msg.readUInt16BE(o + 9) !== n) return false;
    flags |= KEY_EDNS | (msg[o + 7]! & 0x80 ? KEY_DO : 0);
    udpLimit = Math.max(PLAIN_UDP_SIZE, msg.readUInt16BE(o + 3));
  } else if (questionEnd !== n) return false;
  p.hash = Math.imul(h ^ flags, FNV_PRIME) >>> 0;
  p.nameLength = nameLength;
  p.questionEnd = questionEnd;
  p.flags = flags;
  p.udpLimit = udpLimit;
  p.ok = true;
  return true;
}

function matches(e: CachedAnswer, msg: Buffer, p: Probe): boolean {
  const key = e.key;
  if (key.length !== p.questionEnd - 12 + 1 || e.nameLength !== p.nameLength || key[key.length - 1] !== p.flags) return false;
  for (let i = 0; i < p.nameLength; i++) if (key[i] !== lower(msg[12 + i]!)) return false;
  for (let i = p.nameLength; i < key.length - 1; i++) if (key[i] !== msg[12 + i]) return false;
  return true;
}

/** Offsets of the owner names in `response` spelled like the question's name (any case). */
function nameOffsets(response: Buffer, nameLength: number): number[] {
  const out = [12];
  const records = response.readUInt16BE(6) + response.readUInt16BE(8) + response.readUInt16BE(10);
  let off = 12 + nameLength + 4;
  for (let r = 0; r < records; r++) {
    const start = off;
    let compressed = false;
    for (;;) {
      if (off >= response.length) return out;
      const len = response[off]!;
      if ((len & 0xc0) !== 0) {
        compressed = true;
        off += 2;
        break;
      }
      off += len + 1;
      if (len === 0) break;
    }
    if (!compressed && off - start === nameLength) {
      let same = true;
      for (let i = 0; i < nameLength && same; i++) same = lower(response[start + i]!) === lower(response[12 + i]!);
      if (same) out.push(start);
    }
    if (off + 10 > response.length) return out;
    off += 10 + response.readUInt16BE(off + 8);
  }
  return out;
}

/** The asker's ID and spelling of the name written over a copy of the cached answer. */
function personalize(e: CachedAnswer, msg: Buffer, out: Buffer): Buffer {
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  // Names are short: a plain loop beats Buffer#copy's argument handling.
  const n = e.nameLength;
  for (const o of e.nameOffsets) for (let i = 0; i < n; i++) out[o + i] = msg[12 + i]!;
  return out;
}

export class AnswerCache {
  private readonly entries = new Map<number, CachedAnswer>();
  /** The last probed query (one at a time: the server is single-threaded and probes synchronously). */
  private readonly last: Probe = { ok: false, hash: 0, nameLength: 0, questionEnd: 0, flags: 0, udpLimit: PLAIN_UDP_SIZE };

  constructor(private readonly maxEntries = 20_000) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached answer for this query, if it is a plain one and was answered before. */
  find(msg: Buffer): CachedAnswer | undefined {
    if (!probe(msg, this.last)) return undefined;
    const e = this.entries.get(this.last.hash);
    return e && matches(e, msg, this.last) ? e : undefined;
  }

  /** The UDP payload size the query last given to find() accepts. */
  get udpLimit(): number {
    return this.last.udpLimit;
  }

  /** The cached answer made this query's: its ID, its spelling of the name. */
  reply(e: CachedAnswer, msg: Buffer): Buffer {
    const out = Buffer.allocUnsafe(e.response.length);
    out.set(e.response);
    return personalize(e, msg, out);
  }

  /**
   * As reply(), written into the entry's own buffer, which the next lend() overwrites: for a
   * sender that copies it out at once. A UDP send that the kernel takes at once has copied
   * it; one that waits in the socket's queue keeps it, and the sender then calls keep(), so
   * that the next answer gets a buffer of its own. No new buffer per answer: fewer young
   * objects, fewer scavenges.
   */
  lend(e: CachedAnswer, msg: Buffer): Buffer {
    e.spare ??= Buffer.from(e.response);
    return personalize(e, msg, e.spare);
  }

  /** The buffer last lent for `e` is still in use by its sender: never written again. */
  keep(e: CachedAnswer): void {
    e.spare = undefined;
  }

  /** Keeps the answer to a plain query (others are not cached). */
  store(msg: Buffer, response: Buffer, typeName: string, rcode: number): void {
    const p: Probe = { ...this.last };
    if (!probe(msg, p)) return;
    const key = Buffer.alloc(p.questionEnd - 12 + 1);
    for (let i = 0; i < p.nameLength; i++) key[i] = lower(msg[12 + i]!);
    msg.copy(key, p.nameLength, 12 + p.nameLength, p.questionEnd);
    key[key.length - 1] = p.flags;
    if (this.entries.size >= this.maxEntries && !this.entries.has(p.hash)) this.entries.delete(this.entries.keys().next().value!);
    const entry = { key, nameLength: p.nameLength, response, nameOffsets: nameOffsets(response, p.nameLength), typeName, rcode };
    this.entries.set(p.hash, entry);
  }

  clear(): void {
    this.entries.clear();
  }
}
