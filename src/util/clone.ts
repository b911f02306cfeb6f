// Copies and freezes of plain JSON data (API objects): the two things every layer does to
// the objects it shares.

/** Thrown by the copiers below for what is not plain JSON data; their callers fall back to a text round trip. */
export const NOT_PLAIN = Symbol('not plain JSON data');

/** What a JSON round trip makes of a value that is not an object (non-finite numbers null, -0 as 0). */
export function jsonScalar(v: unknown, inArray: boolean): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? null : undefined;
    default:
      throw NOT_PLAIN;
  }
}

/** Throws NOT_PLAIN unless `v` (a non-array object) is a record JSON copies member by member. */
export function assertPlainRecord(v: object): void {
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || typeof (v as { toJSON?: unknown }).toJSON === 'function') throw NOT_PLAIN;
}

/**
 * A structural copy with exactly JSON.parse(JSON.stringify(v))'s result for plain data
 * (undefined members dropped, undefined array items and non-finite numbers as null, -0 as
 * 0); throws NOT_PLAIN for anything else (class instances, toJSON, "__proto__" keys…).
 */
function copyPlain(v: unknown, inArray: boolean): unknown {
  if (typeof v !== 'object') return jsonScalar(v, inArray);
  if (v === null) return null;
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = copyPlain(v[i], true);
    return out;
  }
  assertPlainRecord(v);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === '__proto__') throw NOT_PLAIN;
    const x = copyPlain((v as Record<string, unknown>)[k], false);
    if (x !== undefined) out[k] = x;
  }
  return out;
}

/** A mutable deep copy of a (possibly frozen) JSON object: what a JSON round trip gives, without the text. */
export function clone<T>(obj: T): T {
  if (obj === undefined) return obj;
  if (obj !== null && typeof obj === 'object') {
    try {
      return copyPlain(obj, false) as T;
    } catch {
      // Not plain data, or nested past the stack (cycles, hostile depth): the JSON round
      // trip gives the answer, or the error, it always gave.
    }
  }
  return JSON.parse(JSON.stringify(obj)) as T;
}

/**
 * Freezes an object graph in place, so that a cache's objects cannot be changed by accident.
 * A frozen object is taken to be frozen all the way down (the apiserver's watch cache hands
 * out such objects in-process); skipping it keeps a watch event O(changed part).
 */
export function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj) && !ArrayBuffer.isView(obj)) {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
