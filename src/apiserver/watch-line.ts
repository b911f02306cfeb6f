import type { KObject } from '../api/types.js';
import { toJson } from './json-cache.js';
import type { WatchEventType } from './types.js';

// Watch lines per cached object and event type: every watcher of an event writes the same
// Buffer, so a thousand watchers cost one serialised copy.
const lines = new WeakMap<object, Partial<Record<WatchEventType, Buffer>>>();

/** One watch line as Kubernetes streams it: {"type":"ADDED","object":{…}}; memoised for frozen objects. */
export function watchLine(type: WatchEventType, obj: KObject): Buffer {
  let byType = lines.get(obj);
  const hit = byType?.[type];
  if (hit) return hit;
  const buf = Buffer.from(`{"type":"${type}","object":${toJson(obj)}}\n`);
  if (Object.isFrozen(obj)) {
    if (!byType) lines.set(obj, (byType = {}));
    byType[type] = buf;
  }
  return buf;
}
