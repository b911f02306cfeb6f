// Field validation (?fieldValidation=Strict|Warn|Ignore) as Kubernetes does it for built-in
// types: fields the schema does not declare, and fields given twice in the body, are errors
// (Strict, 400 "strict decoding error: …"), warnings (Warn, the default) or nothing (Ignore).
// Whatever the mode, unknown fields are never stored — decoding into a typed object drops
// them in Kubernetes, so they are pruned here. Server-side apply is stricter still: an apply
// configuration with undeclared fields is refused in every mode (applyConfigurationError).
import { builtinSchema, builtinSchemaName, type Schema } from '../../api/schemas/index.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { errors, StatusError } from '../status.js';
import { duplicatesOf } from './duplicate-fields.js';

export { decodeWithDuplicates, jsonDuplicateFields, parseYamlWithDuplicates } from './duplicate-fields.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The directive of a write request; '' counts as the default, Warn. */
export function fieldValidationOf(q: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): FieldValidation {
  const v = q.get('fieldValidation') ?? '';
  if (v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.invalid('meta.k8s.io', options, '', [
    {
      type: 'FieldValueNotSupported',
      field: 'fieldValidation',
      message: `Unsupported value: ${JSON.stringify(v)}: supported values: "", "Ignore", "Strict", "Warn"`,
    },
  ]);
}

// ---- unknown fields against the schema -------------------------------------------------

const resolved = new WeakMap<Schema, Schema | undefined>();

/** The schema behind a reference chain, cached per schema object (walks run on every write). */
function resolve(s: Schema): Schema | undefined {
  if (!s.$ref) return s;
  if (resolved.has(s)) return resolved.get(s);
  let cur: Schema | undefined = s;
  for (let i = 0; cur?.$ref && i < 8; i++) cur = builtinSchema(cur.$ref);
  resolved.set(s, cur);
  return cur;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

interface Walk {
  unknown: string[];
  /** Messages in the order Kubernetes gives them (unknown and duplicate interleaved). */
  messages: string[];
  duplicates?: Set<string>;
  sorted: boolean;
  /** Paths to delete from the object as the walk passes them. */
  prune?: Set<string>;
  /** The current path as segments ('[3]' for list items); joined only when a path is needed. */
  segs: string[];
  /** Paths as server-side apply writes them: `.spec.containers[name="web"].x`. */
  smd?: boolean;
}

function pathOf(segs: string[], smd?: boolean): string {
  if (smd) return segs.join('');
  let out = '';
  for (const s of segs) out = s.charCodeAt(0) === 0x5b || !out ? out + s : `${out}.${s}`;
  return out;
}

/** A list item's path segment for server-side apply: by its keys in a map-type list. */
function smdItem(list: Schema, item: unknown, i: number): string {
  const keys = list['x-kubernetes-list-map-keys'] as string[] | undefined;
  if (keys && isPlainObject(item))
    return `[${[...keys]
      .sort()
      .filter((k) => item[k] !== undefined)
      .map((k) => `${k}=${JSON.stringify(item[k])}`)
      .join(',')}]`;
  if (list['x-kubernetes-list-type'] === 'set' && (item === null || typeof item !== 'object')) return `[=${JSON.stringify(item)}]`;
  return `[${i}]`;
}

function walk(value: unknown, schema: Schema, w: Walk): void {
  const s = resolve(schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (!s.items) return;
    for (let i = 0; i < value.length; i++) {
      w.segs.push(w.smd ? smdItem(s, value[i], i) : `[${i}]`);
      walk(value[i], s.items, w);
      w.segs.pop();
    }
    return;
  }
  const obj = value as Record<string, unknown>;
  const props = s.properties;
  if (props) {
    const keys = w.sorted ? Object.keys(obj).sort() : Object.keys(obj);
    for (const k of keys) {
      w.segs.push(w.smd ? `.${k}` : k);
      const field = props[k];
      if (!field) {
        const p = pathOf(w.segs, w.smd);
        if (w.prune?.has(p)) delete obj[k];
        else if (!w.prune) {
          w.unknown.push(p);
          w.messages.push(`unknown field ${JSON.stringify(p)}`);
        }
      } else {
        walk(obj[k], field, w);
        if (w.duplicates?.size) {
          const p = pathOf(w.segs);
          if (w.duplicates.has(p)) w.messages.push(`duplicate field ${JSON.stringify(p)}`);
        }
      }
      w.segs.pop();
    }
  } else if (isPlainObject(s.additionalProperties)) {
    for (const k of Object.keys(obj)) {
      w.segs.push(w.smd ? `.${k}` : k);
      walk(obj[k], s.additionalProperties, w);
      w.segs.pop();
    }
  }
}

const roots = new Map<string, Schema>();
const rootRef = (name: string): Schema => {
  let r = roots.get(name);
  if (!r) roots.set(name, (r = { $ref: name }));
  return r;
};

/** Paths of fields of `obj` that the kind's schema does not declare (custom resources ask their CRD). */
export function unknownFields(def: ResourceDef, obj: KObject): string[] {
  if (def.unknownFields) return def.unknownFields(obj);
  const name = builtinSchemaName(def.group, def.version, def.kind);
  if (!name) return [];
  const w: Walk = { unknown: [], messages: [], sorted: false, segs: [] };
  walk(obj, rootRef(name), w);
  return w.unknown;
}

export interface FieldCheckResult {
  /** The object to go on with: a pruned copy when it had unknown fields, else the input. */
  object: KObject;
  warnings: string[];
}

/**
 * Checks a decoded write body (create/update: the object; patch: the patched object) and
 * drops unknown fields. `request` decides the error text: create and update name the kind
 * as the decoder does; patches report the bare strict decoding error. `ignore`: paths that
 * count as known because the current object already had them (patches only), or a function
 * giving them (called only when the object has unknown fields).
 */
export function checkFields(
  def: ResourceDef,
  obj: KObject,
  mode: FieldValidation,
  request: 'create' | 'update' | 'patch',
  opts: { rawBody?: unknown; ignore?: Set<string> | (() => Set<string> | undefined) } = {},
): FieldCheckResult {
  // A body of another version or kind is refused later with its own error; its fields are
  // not this kind's to judge.
  if (
    !obj ||
    typeof obj !== 'object' ||
    (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(def)) ||
    (obj.kind !== undefined && obj.kind !== def.kind)
  )
    return { object: obj, warnings: [] };
  const dup = opts.rawBody && typeof opts.rawBody === 'object' ? duplicatesOf(opts.rawBody) : undefined;
  const name = def.unknownFields ? undefined : builtinSchemaName(def.group, def.version, def.kind);
  const sorted = request === 'patch' || !!dup?.yaml;
  const duplicates = request === 'patch' || !dup?.json ? undefined : new Set(dup.json);
  let w: Walk = { unknown: [], messages: [], sorted: false, duplicates, segs: [] };
  if (name) {
    walk(obj, rootRef(name), w);
    // Sorting keys only orders the messages: a clean object (the usual case) is walked once, unsorted.
    if (sorted && w.messages.length) {
      w = { unknown: [], messages: [], sorted: true, duplicates, segs: [] };
      walk(obj, rootRef(name), w);
    }
  } else if (def.unknownFields)
    for (const p of def.unknownFields(obj)) {
      w.unknown.push(p);
      w.messages.push(`unknown field ${JSON.stringify(p)}`);
    }
  // A function is asked only when there is something to excuse.
  const ignore = typeof opts.ignore === 'function' ? (w.unknown.length ? opts.ignore() : undefined) : opts.ignore;
  if (ignore?.size) {
    const keep = w.unknown.filter((p) => !ignore.has(p));
    w.messages = w.messages.filter((m) => !m.startsWith('unknown field ') || keep.includes(JSON.parse(m.slice('unknown field '.length))));
    w.unknown = keep;
  }
  let messages = w.messages;
  let errorText: string | undefined;
  if (dup?.yaml) {
    // YAML duplicates come first, as one "yaml: unmarshal errors" error (a warning per line).
    errorText = [`yaml: unmarshal errors:\n${dup.yaml.map((l) => `  ${l}`).join('\n')}`, ...messages].join(', ');
    messages = [...dup.yaml, ...messages];
  } else if (request === 'patch' && dup?.json) {
    messages = [...dup.json.map((p) => `duplicate field ${JSON.stringify(p)}`), ...messages];
  }
  if (!messages.length) return { object: obj, warnings: [] };
  if (mode === 'Strict') {
    const detail = `strict decoding error: ${errorText ?? messages.join(', ')}`;
    if (request === 'patch') throw errors.badRequest(detail);
    throw errors.badRequest(`${def.kind} in version ${JSON.stringify(def.version)} cannot be handled as a ${def.kind}: ${detail}`);
  }
  let object = obj;
  if (w.unknown.length && name) {
    object = structuredClone(obj);
    walk(object, rootRef(name), { unknown: [], messages: [], sorted: false, prune: new Set(w.unknown), segs: [] });
  }
  return { object, warnings: mode === 'Warn' ? messages : [] };
}

/** The unknown-field paths `current` already has: a patch is not blamed for them. */
export function existingUnknownFields(def: ResourceDef, current: KObject | undefined): Set<string> | undefined {
  if (!current || def.unknownFields) return undefined;
  // A frozen (cached) object cannot change: its answer is kept with it.
  const frozen = Object.isFrozen(current);
  const hit = frozen ? existingByObject.get(current) : undefined;
  if (hit && hit.def === def) return hit.found;
  const list = unknownFields(def, current);
  const found = list.length ? new Set(list) : undefined;
  if (frozen) existingByObject.set(current, { def, found });
  return found;
}

const existingByObject = new WeakMap<object, { def: ResourceDef; found: Set<string> | undefined }>();

/** A `Warning` header value (RFC 7234 code 299), quoted; non-ASCII escaped so the header stays valid. */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
}

/**
 * Server-side apply refuses an apply configuration with fields the schema does not declare,
 * whatever the fieldValidation directive, the way Kubernetes v1.32 does: a 500 whose message
 * is structured-merge-diff's ("failed to create typed patch object (ns/name; apps/v1,
 * Kind=Deployment): .spec.replica: field not declared in schema"). Undefined when it is fine.
 */
export function applyConfigurationError(def: ResourceDef, config: unknown, namespace: string | undefined, name: string): StatusError | undefined {
  if (!isPlainObject(config)) return undefined;
  let paths: string[];
  if (def.unknownFields) paths = def.unknownFields(config as KObject).map((p) => `.${p}`);
  else {
    const schema = builtinSchemaName(def.group, def.version, def.kind);
    if (!schema) return undefined;
    const w: Walk = { unknown: [], messages: [], sorted: true, segs: [], smd: true };
    walk(config, rootRef(schema), w);
    paths = w.unknown;
  }
  if (!paths.length) return undefined;
  const lines = paths.map((p) => `${p}: field not declared in schema`);
  const detail = lines.length === 1 ? lines[0] : ['errors:', ...lines.map((l) => `  ${l}`)].join('\n');
  const gv = def.group ? `${def.group}/${def.version}` : `/${def.version}`;
  return new StatusError(500, '', `failed to create typed patch object (${namespace ?? ''}/${name}; ${gv}, Kind=${def.kind}): ${detail}`);
}
