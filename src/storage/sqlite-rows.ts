// Row shapes of the SQLite store (sqlite.ts): key ranges for prefixes, and log rows as watch events.
import type { StoreEvent } from './store.js';

// Any BLOB sorts after every TEXT in SQLite, so it is an upper bound that no key reaches.
const BEYOND_ALL_KEYS = Buffer.alloc(0);

/** The smallest string above every string that starts with `prefix` (in UTF-8 order, which SQLite uses). */
export function prefixEnd(prefix: string): string | Buffer {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    let cp = cps.pop()!.codePointAt(0)!;
    if (cp < 0x10ffff) {
      cp = cp === 0xd7ff ? 0xe000 : cp + 1;
      cps.push(String.fromCodePoint(cp));
      return cps.join('');
    }
  }
  return BEYOND_ALL_KEYS;
}

export interface EventRow {
  rev: number;
  key: string;
  value: string | null;
  create_rev: number;
  deleted: number;
  p_rev: number | null;
  p_value: string | null;
  p_create_rev: number | null;
}

export function toEvent(r: EventRow): StoreEvent {
  const lastValue = r.p_value ?? '';
  const ev: StoreEvent = r.deleted
    ? { type: 'delete', kv: { key: r.key, value: lastValue, createRevision: r.create_rev, modRevision: r.rev }, created: false }
    : { type: 'put', kv: { key: r.key, value: r.value ?? '', createRevision: r.create_rev, modRevision: r.rev }, created: r.create_rev === r.rev };
  // Absent rather than undefined, so events compare equal to the live ones.
  if (r.p_rev !== null) ev.prevKv = { key: r.key, value: lastValue, createRevision: r.p_create_rev!, modRevision: r.p_rev };
  return ev;
}
