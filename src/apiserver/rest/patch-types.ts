// A strategic merge patch can leave a value of the wrong shape where the type wants a map, a
// struct or a list (`{"metadata":{"labels":"x"}}`). kube-apiserver finds this when it converts
// the patched map back into the Go type, and answers in the converter's words; this does the
// same walk over Skiff's schema of the kind.
import { builtinSchema, builtinSchemaName, type Schema } from '../../api/schemas/index.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import { StatusError } from '../status.js';

function resolve(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref && i < 8; i++) cur = builtinSchema(cur.$ref);
  return cur;
}

/** The reflect.Kind Go gives a decoded JSON value. */
function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** The first shape mismatch, in the unstructured converter's wording; undefined when none. */
function mismatch(v: unknown, schema: Schema | undefined, depth = 0): string | undefined {
  const s = resolve(schema);
  if (!s || v === null || v === undefined || depth > 64) return undefined;
  if (s.type === 'array') {
    if (!Array.isArray(v)) return `cannot restore slice from ${goKind(v)}`;
    for (const item of v) {
      const m = mismatch(item, s.items, depth + 1);
      if (m) return m;
    }
    return undefined;
  }
  if (s.type !== 'object' || s['x-kubernetes-preserve-unknown-fields']) return undefined;
  const isMap = !!s.additionalProperties && !s.properties;
  if (typeof v !== 'object' || Array.isArray(v))
    return isMap ? `cannot restore map from ${goKind(v)}` : s.properties ? `cannot restore struct from: ${goKind(v)}` : undefined;
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    const m = mismatch(child, sub, depth + 1);
    if (m) return m;
  }
  return undefined;
}

/** Go's %+v of a decoded JSON value, as kube-apiserver quotes a patch in its errors. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `map[${keys.map((k) => `${k}:${goFormat((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** kube-apiserver's 422 for a strategic merge patch whose result does not fit the kind's types. */
export function patchedShapeError(def: ResourceDef, patched: KObject, patch: unknown): StatusError | undefined {
  const name = builtinSchemaName(def.group, def.version, def.kind);
  if (!name) return undefined;
  const why = mismatch(patched, { $ref: name });
  if (!why) return undefined;
  const message = `Invalid value: ${JSON.stringify(goFormat(patch))}: ${why}`;
  return new StatusError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
}
