// Decoding a stored value into the frozen object the watch cache and list paths hand out.
import type { KObject } from '../api/types.js';
import type { KeyValue } from '../storage/store.js';
import { deepFreeze } from '../util/clone.js';

/**
 * The stored object, decoded and frozen. With `prev` (the cached version it replaces),
 * parts equal to prev's — same keys in the same order, same values — are prev's own frozen
 * objects: a write that changes one field of a big object keeps little new in memory, and
 * only the new parts are frozen.
 */
export function decode(kv: KeyValue, revision = kv.modRevision, prev?: KObject): KObject {
  const obj = JSON.parse(kv.value) as KObject;
  obj.metadata = obj.metadata ?? {};
  obj.metadata.resourceVersion = String(revision);
  if (prev) share(obj, prev);
  return deepFreeze(obj);
}

/**
 * `next` (freshly parsed, not frozen) with every subtree equal to the one at the same place
 * in the frozen `prev` replaced by prev's; returns prev itself when the whole is equal.
 */
function share(next: unknown, prev: unknown): unknown {
  if (typeof next !== 'object' || next === null) return next;
  if (typeof prev !== 'object' || prev === null || !Object.isFrozen(prev)) return next;
  if (Array.isArray(next)) {
    if (!Array.isArray(prev)) return next;
    let same = next.length === prev.length;
    for (let i = 0; i < next.length; i++) {
      const p = i < prev.length ? prev[i] : undefined;
      const c = share(next[i], p);
      if (c !== p) same = false;
      else if (c !== next[i]) next[i] = c;
    }
    return same ? prev : next;
  }
  if (Array.isArray(prev)) return next;
  const n = next as Record<string, unknown>;
  const p = prev as Record<string, unknown>;
  const nk = Object.keys(n);
  const pk = Object.keys(p);
  let same = nk.length === pk.length;
  for (let i = 0; i < nk.length; i++) {
    const k = nk[i]!;
    if (k === '__proto__') {
      same = false;
      continue;
    }
    if (same && pk[i] !== k) same = false;
    const pv = Object.hasOwn(p, k) ? p[k] : undefined;
    const c = share(n[k], pv);
    if (c !== pv) same = false;
    else if (c !== n[k]) n[k] = c;
  }
  return same ? prev : next;
}
