// Reads the server name (SNI) from the first TLS record, a ClientHello, without terminating
// TLS: what TLS passthrough needs to choose a backend before any handshake (RFC 8446 4.1.2,
// RFC 6066 3). Only the first record is read; a ClientHello split over records before its
// SNI extension is treated as having none.

/** Bytes in the first TLS record's header. */
const HEADER = 5;
export const MAX_RECORD = HEADER + 16_384;

export type SniResult = { more: true } | { more: false; tls: boolean; name?: string };

export function readSni(buf: Buffer): SniResult {
  if (buf.length < 1) return { more: true };
  if (buf[0] !== 0x16) return { more: false, tls: false };
  if (buf.length < HEADER) return { more: true };
  const recordLen = buf.readUInt16BE(3);
  const end = Math.min(HEADER + recordLen, MAX_RECORD);
  if (buf.length < end) return { more: true };
  try {
    return { more: false, tls: true, name: parseClientHello(buf.subarray(HEADER, end)) };
  } catch {
    return { more: false, tls: true };
  }
}

function parseClientHello(h: Buffer): string | undefined {
  if (h[0] !== 0x01) return undefined;
  let p = 4 + 2 + 32; // handshake header, client_version, random
  p += 1 + h.readUInt8(p); // session_id
  p += 2 + h.readUInt16BE(p); // cipher_suites
  p += 1 + h.readUInt8(p); // compression_methods
  if (p + 2 > h.length) return undefined;
  const extEnd = Math.min(h.length, p + 2 + h.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = h.readUInt16BE(p);
    const len = h.readUInt16BE(p + 2);
    p += 4;
    if (type === 0) {
      let q = p + 2;
      const listEnd = Math.min(p + len, p + 2 + h.readUInt16BE(p));
      while (q + 3 <= listEnd) {
        const nameType = h.readUInt8(q);
        const nameLen = h.readUInt16BE(q + 1);
        q += 3;
        if (nameType === 0 && q + nameLen <= listEnd)
          return h
            .subarray(q, q + nameLen)
            .toString('ascii')
            .toLowerCase();
        q += nameLen;
      }
      return undefined;
    }
    p += len;
  }
  return undefined;
}
