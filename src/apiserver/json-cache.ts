import { assertPlainRecord, jsonScalar, NOT_PLAIN } from '../util/clone.js';

// Objects held by the watch cache are deep-frozen, so their JSON can be computed once
// and reused by every list and every watcher that sends them.
const cache = new WeakMap<object, string>();

/** JSON of an object; memoised when the object is frozen (and so cannot change). */
export function toJson(obj: object): string {
  const hit = cache.get(obj);
  if (hit !== undefined) return hit;
  const s = JSON.stringify(obj);
  if (Object.isFrozen(obj)) cache.set(obj, s);
  return s;
}

/**
 * Serialises a list whose items may be cached objects without re-serialising them.
 * `head` holds everything but items.
 */
export function listJson(head: Record<string, unknown>, items: readonly object[]): string {
  const parts = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = toJson(items[i]!);
  const h = JSON.stringify({ ...head, items: [] });
  return `${h.slice(0, -3)}[${parts.join(',')}]}`;
}

/**
 * A deep-frozen copy of `v` equal to JSON.parse(JSON.stringify(v)) (same values, same key
 * order), made of `prev`'s own frozen subtrees wherever they are equal to the copy's. Throws
 * for anything that is not plain JSON data (the caller then goes through the text).
 */
export function frozenCopy(v: unknown, prev: unknown, inArray = false): unknown {
  if (typeof v !== 'object') return jsonScalar(v, inArray);
  if (v === null) return null;
  const p = prev !== null && typeof prev === 'object' && Object.isFrozen(prev) ? (prev as Record<string, unknown>) : undefined;
  if (Array.isArray(v)) {
    const n = v.length;
    const pa = p && Array.isArray(p) ? (p as unknown[]) : undefined;
    // Allocated only once an item differs from `pa`'s: unchanged subtrees make no garbage.
    let out: unknown[] | undefined = pa && pa.length === n ? undefined : new Array(n);
    for (let i = 0; i < n; i++) {
      const x = frozenCopy(v[i], pa?.[i], true);
      if (out === undefined) {
        if (x === pa![i]) continue;
        out = new Array(n);
        for (let t = 0; t < i; t++) out[t] = pa![t];
      }
      out[i] = x;
    }
    return out === undefined ? pa : Object.freeze(out);
  }
  assertPlainRecord(v);
  const po = p && !Array.isArray(p) ? p : undefined;
  const pk = po ? Object.keys(po) : undefined;
  const keys = Object.keys(v);
  // While every member so far is `po`'s own (same key, same position, same value) nothing
  // is allocated; at the first difference `out` starts with those members.
  let out: Record<string, unknown> | undefined = pk ? undefined : {};
  let j = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === '__proto__') throw NOT_PLAIN;
    const pv = po && Object.hasOwn(po, k) ? po[k] : undefined;
    const x = frozenCopy((v as Record<string, unknown>)[k], pv, false);
    if (x === undefined) continue;
    if (out === undefined) {
      if (pk![j] === k && x === pv) {
        j++;
        continue;
      }
      out = {};
      for (let t = 0; t < j; t++) out[pk![t]!] = po![pk![t]!];
    }
    out[k] = x;
  }
  if (out === undefined) {
    if (j === pk!.length) return po;
    out = {};
    for (let t = 0; t < j; t++) out[pk![t]!] = po![pk![t]!];
  }
  return Object.freeze(out);
}

/**
 * The same JSON as listJson, in pieces of `batch` items, so a large list goes out as it is
 * serialised instead of as one string of tens of megabytes.
 */
export function listJsonChunks(head: Record<string, unknown>, items: readonly object[], batch = 500): string[] {
  const h = JSON.stringify({ ...head, items: [] });
  const chunks = [`${h.slice(0, -3)}[`];
  for (let i = 0; i < items.length; i += batch) {
    const parts: string[] = [];
    for (let j = i; j < Math.min(items.length, i + batch); j++) parts.push(toJson(items[j]!));
    chunks.push((i > 0 ? ',' : '') + parts.join(','));
  }
  chunks.push(']}');
  return chunks;
}
