// ConfigMap and Secret contents as volume files: all keys, or the listed items with their
// own paths and modes; missing objects and keys are errors unless the source is optional.
import type { KeyToPath } from 'kubernetes-types/core/v1.js';
import type { Payload } from './types.js';

export const DEFAULT_MODE = 0o644;

export function fileMode(mode: number | undefined, defaultMode: number | undefined): number {
  return (mode ?? defaultMode ?? DEFAULT_MODE) & 0o777;
}

/**
 * Adds `data` (key → bytes) to `payload` as the kubelet projects it. `what` names the
 * source in errors, e.g. `configmap`.
 */
export function projectKeys(
  payload: Payload,
  data: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number | undefined,
  optional: boolean,
  what: 'configmap' | 'secret',
): void {
  if (!items?.length) {
    for (const [k, v] of data) payload.set(k, { data: v, mode: fileMode(undefined, defaultMode) });
    return;
  }
  for (const it of items) {
    const v = data.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new Error(what === 'configmap' ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`);
    }
    payload.set(it.path, { data: v, mode: fileMode(it.mode, defaultMode) });
  }
}

export function configMapData(cm: { data?: Record<string, string>; binaryData?: Record<string, string> }): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

export function secretData(s: { data?: Record<string, string> }): Map<string, Buffer> {
  return new Map(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}
