// Pruning and defaulting of custom objects by their structural schema, as the apiextensions
// apiserver does on every write: fields the schema does not know are dropped (unless
// x-kubernetes-preserve-unknown-fields), missing fields with a `default` are filled, and
// non-nullable nulls without a default are removed.
import type { KObject } from '../../api/types.js';

export type Schema = Record<string, any>;

const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The schema for a property of an object, or undefined when the field is unknown. */
function propertySchema(s: Schema, key: string): Schema | undefined {
  if (isObject(s.properties) && isObject(s.properties[key])) return s.properties[key];
  if (isObject(s.additionalProperties)) return s.additionalProperties;
  return undefined;
}

function keepsUnknown(s: Schema): boolean {
  return s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
}

/** Drops unknown fields in place. `embedded`: apiVersion, kind and metadata are implicit. */
export function prune(value: unknown, s: Schema | undefined, embedded = false, path = '', dropped?: string[]): void {
  if (!s) return;
  if (Array.isArray(value)) {
    if (isObject(s.items))
      value.forEach((item, i) => {
        prune(item, s.items, false, `${path}[${i}]`, dropped);
      });
    return;
  }
  if (!isObject(value)) return;
  const isEmbedded = embedded || s['x-kubernetes-embedded-resource'] === true;
  for (const key of Object.keys(value)) {
    if (isEmbedded && (key === 'apiVersion' || key === 'kind')) continue;
    const at = path ? `${path}.${key}` : key;
    if (isEmbedded && key === 'metadata') {
      if (isObject(value.metadata))
        for (const k of Object.keys(value.metadata))
          if (!OBJECT_META_FIELDS.has(k)) {
            dropped?.push(`${at}.${k}`);
            delete value.metadata[k];
          }
      continue;
    }
    const child = propertySchema(s, key);
    if (child) prune(value[key], child, false, at, dropped);
    else if (!keepsUnknown(s)) {
      dropped?.push(at);
      delete value[key];
    }
  }
}

/** Fills defaults in place, depth first through what is present (including filled defaults). */
export function applyDefaults(value: unknown, s: Schema | undefined): void {
  if (!s) return;
  if (Array.isArray(value)) {
    if (isObject(s.items))
      for (let i = 0; i < value.length; i++) {
        if (value[i] === null && s.items.nullable !== true && s.items.default !== undefined) value[i] = structuredClone(s.items.default);
        applyDefaults(value[i], s.items);
      }
    return;
  }
  if (!isObject(value)) return;
  if (isObject(s.properties))
    for (const [key, child] of Object.entries(s.properties as Record<string, Schema>)) {
      if (!isObject(child)) continue;
      if (value[key] === null && child.nullable !== true) {
        if (child.default !== undefined) value[key] = structuredClone(child.default);
        else delete value[key];
      } else if (value[key] === undefined && child.default !== undefined) {
        value[key] = structuredClone(child.default);
      }
    }
  for (const key of Object.keys(value)) {
    const child = propertySchema(s, key);
    if (child) {
      if (value[key] === null && child.nullable !== true && !(isObject(s.properties) && key in s.properties)) {
        if (child.default !== undefined) value[key] = structuredClone(child.default);
        else delete value[key];
      }
      applyDefaults(value[key], child);
    }
  }
}

/** The paths of fields the schema does not know (what pruning would drop), e.g. spec.bogus. */
export function unknownFields(obj: KObject, root: Schema | undefined): string[] {
  if (!root) return [];
  const dropped: string[] = [];
  prune(structuredClone(obj), root, true, '', dropped);
  return dropped;
}

/** Root handling: apiVersion, kind and metadata are not the schema's business. */
export function pruneAndDefault(obj: KObject, root: Schema | undefined): void {
  if (!root) return;
  const { apiVersion, kind, metadata } = obj;
  prune(obj, root, true);
  applyDefaults(obj, { ...root, properties: { ...(root.properties ?? {}), metadata: undefined } });
  obj.apiVersion = apiVersion;
  obj.kind = kind;
  if (metadata !== undefined) obj.metadata = metadata;
}
