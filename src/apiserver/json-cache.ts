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

export function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj as object)) deepFreeze(v);
  }
  return obj;
}

/** A mutable deep copy of a (possibly frozen) JSON object. */
export function clone<T>(obj: T): T {
  return obj === undefined ? obj : (JSON.parse(JSON.stringify(obj)) as T);
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
