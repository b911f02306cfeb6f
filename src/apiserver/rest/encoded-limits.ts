// What an object must satisfy before it is written, whatever path it came by (create,
// update, any patch type, status): int32 fields fit in int32 (Kubernetes' typed decoder
// refuses anything else), nesting stays shallow enough for the recursive code downstream,
// and the encoded object fits in one etcd request (1.5 MiB), on every backend.
import { builtinSchema, builtinSchemaName, type Schema } from '../../api/schemas/index.js';
import type { StorageBinding } from '../../api/registry.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors, StatusError } from '../status.js';

/** etcd's default --max-request-bytes; objects above it cannot be stored there, so nowhere. */
export const MAX_OBJECT_BYTES = 1_572_864;

/**
 * Kubernetes' decoders stop at 10,000 levels. Node's default stack overflows in recursive
 * walks (clone, freeze, merge, stringify) somewhere below that for the larger frames, so
 * Skiff stops earlier: no real object comes near this depth.
 */
export const MAX_DEPTH = 1000;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * The deepest nesting of arrays/objects in `v`, stopping as soon as it passes `limit`.
 * Iterative; values and depths on two stacks, so that the walk (on every write) allocates
 * no pair per node.
 */
function nestingDepth(v: unknown, limit = MAX_DEPTH): number {
  if (v === null || typeof v !== 'object') return 0;
  let max = 1;
  const values: object[] = [v];
  const depths: number[] = [1];
  while (values.length) {
    const cur = values.pop()!;
    const child = depths.pop()! + 1;
    const before = values.length;
    if (Array.isArray(cur)) {
      for (const c of cur) if (c !== null && typeof c === 'object') values.push(c);
    } else {
      const o = cur as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const c = o[k];
        if (c !== null && typeof c === 'object') values.push(c);
      }
    }
    if (values.length === before) continue;
    for (let i = before; i < values.length; i++) depths.push(child);
    if (child > max) {
      max = child;
      if (max > limit) return max;
    }
  }
  return max;
}

/** 400 as Go's decoder words it, for a body nested deeper than MAX_DEPTH. */
export function tooDeep(): StatusError {
  return errors.badRequest(`json: exceeded max depth: object nested more than ${MAX_DEPTH} levels`);
}
/**
 * Nesting depth of JSON or YAML text, counting brackets outside quoted strings: run on the
 * raw body before a recursive parser sees it. Block-style YAML nests by indentation, which
 * the line length bounds; flow collections are what can go deep cheaply.
 */
export function textDepth(text: string, limit = MAX_DEPTH): number {
  let depth = 0;
  let max = 0;
  let quote = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (c === 0x5c && quote === 0x22) i++;
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth = Math.max(0, depth - 1);
  }
  return max;
}

const resolvedRefs = new WeakMap<Schema, { schema: Schema; struct: string } | null>();

/** The schema behind `$ref` and the Go struct it stands for (the definition's last name). */
function deref(s: Schema): { schema: Schema; struct?: string } | undefined {
  if (!s.$ref) return { schema: s };
  const hit = resolvedRefs.get(s);
  if (hit !== undefined) return hit ?? undefined;
  const target = builtinSchema(s.$ref);
  const out = target ? { schema: target, struct: s.$ref.slice(s.$ref.lastIndexOf('.') + 1) } : null;
  resolvedRefs.set(s, out);
  return out ?? undefined;
}

interface Int32Problem {
  value: number;
  struct: string;
  path: string;
}

const holdsInt32 = new WeakMap<Schema, boolean>();

/**
 * Whether anything under `s` is an int32 field: most of an object (metadata, managed fields,
 * labels, strings) holds none, and the walk below skips those subtrees. A schema seen again
 * while it is being worked out (a recursive type) counts as holding one, which only costs a visit.
 */
function hasInt32(s: Schema): boolean {
  const known = holdsInt32.get(s);
  if (known !== undefined) return known;
  holdsInt32.set(s, true);
  const sch = deref(s)?.schema;
  let out = false;
  if (sch && !sch['x-kubernetes-preserve-unknown-fields']) {
    if (sch.type === 'integer' && sch.format === 'int32') out = true;
    else if (sch.items && hasInt32(sch.items)) out = true;
    else if (sch.properties) out = Object.values(sch.properties).some(hasInt32);
    else if (sch.additionalProperties && typeof sch.additionalProperties === 'object') out = hasInt32(sch.additionalProperties);
  }
  holdsInt32.set(s, out);
  return out;
}

interface Step {
  v: unknown;
  s: Schema;
  struct: string;
  parent?: Step;
  key?: string;
}

/** The dotted field path of a step, built only for the one reported. */
function pathOf(step: Step): string {
  const keys: string[] = [];
  for (let st: Step | undefined = step; st; st = st.parent) if (st.key !== undefined) keys.push(st.key);
  return keys.reverse().join('.');
}

/** Per root definition: whether its type holds an int32 field anywhere (a ConfigMap holds none). */
const rootHoldsInt32 = new Map<string, boolean>();

/** The first int32 field (per the kind's schema) holding something that is not an int32. Iterative. */
function firstBadInt32(obj: KObject, root: string): Int32Problem | undefined {
  const rootSchema: Schema = { $ref: root };
  let holds = rootHoldsInt32.get(root);
  if (holds === undefined) rootHoldsInt32.set(root, (holds = hasInt32(rootSchema)));
  if (!holds) return undefined;
  const stack: Step[] = [{ v: obj, s: rootSchema, struct: '' }];
  while (stack.length) {
    const step = stack.pop()!;
    const { v, s } = step;
    const r = deref(s);
    if (!r) continue;
    const sch = r.schema;
    const st = r.struct ?? step.struct;
    if (sch.type === 'integer' && sch.format === 'int32') {
      if (typeof v === 'number' && (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX)) return { value: v, struct: st, path: pathOf(step) };
      continue;
    }
    if (v === null || typeof v !== 'object' || sch['x-kubernetes-preserve-unknown-fields']) continue;
    // An array item carries no key of its own: Go names the field, not the index.
    const parent = step.key === undefined ? step.parent : step;
    if (Array.isArray(v)) {
      if (sch.items && hasInt32(sch.items)) for (const item of v) stack.push({ v: item, s: sch.items, struct: st, parent });
      continue;
    }
    const o = v as Record<string, unknown>;
    if (sch.properties) {
      for (const k in sch.properties) {
        const fs = sch.properties[k]!;
        if (o[k] !== undefined && hasInt32(fs)) stack.push({ v: o[k], s: fs, struct: st, parent, key: k });
      }
    } else if (sch.additionalProperties && typeof sch.additionalProperties === 'object' && hasInt32(sch.additionalProperties)) {
      for (const k of Object.keys(o)) stack.push({ v: o[k], s: sch.additionalProperties, struct: st, parent, key: k });
    }
  }
  return undefined;
}

/**
 * kube-apiserver decodes into typed structs, so a number that does not fit an int32 field is
 * a 400 from the decoder: `Deployment in version "v1" cannot be handled as a Deployment:
 * json: cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32`.
 */
export function checkInt32Fields(def: ResourceDef, obj: KObject): void {
  if (def.unknownFields) return; // custom resources: their CRD schema validates them
  const root = builtinSchemaName(def.group, def.version, def.kind);
  if (!root) return;
  const bad = firstBadInt32(obj, root);
  if (!bad) return;
  throw errors.badRequest(
    `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal number ${bad.value} into Go struct field ${bad.struct}.${bad.path} of type int32`,
  );
}

/** kube-apiserver's answer when etcd refuses a request over --max-request-bytes. */
export function objectTooLarge(): StatusError {
  return new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: etcdserver: request is too large');
}

/** A YAML parse error in go-yaml's words where they differ (an alias bomb is "excessive aliasing"). */
export function yamlErrorText(err: unknown): string {
  const msg = (err as Error)?.message?.split('\n')[0] ?? String(err);
  return /alias count/i.test(msg) ? 'document contains excessive aliasing' : msg;
}

/** The object as stored (without its resourceVersion), once it passed the depth, int32 and size limits. */
export function storedJson(def: ResourceDef, binding: StorageBinding, obj: KObject): string {
  if (nestingDepth(obj) > MAX_DEPTH) throw tooDeep();
  checkInt32Fields(def, obj);
  const s = binding.toStorage(obj);
  const rv = s.metadata?.resourceVersion;
  if (rv !== undefined) delete s.metadata!.resourceVersion;
  const json = JSON.stringify(s);
  if (rv !== undefined) s.metadata!.resourceVersion = rv;
  if (json.length > MAX_OBJECT_BYTES / 4 && Buffer.byteLength(json) > MAX_OBJECT_BYTES) throw objectTooLarge();
  return json;
}
