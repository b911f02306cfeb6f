// Applying PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic
// merge patch with Kubernetes' list semantics (merge keys and strategies from
// apply/merge-meta.ts) and its directives: $patch (replace | delete | merge),
// $retainKeys, $setElementOrder/<field> and $deleteFromPrimitiveList/<field>.
import jsonpatch from 'fast-json-patch';
import type { KObject } from '../../api/types.js';
import { clone } from '../../util/clone.js';
import { errors, StatusError } from '../status.js';
import { fieldType, rootType, type FieldMeta, type TypeMeta } from './apply/merge-meta.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

type Obj = Record<string, any>;
const ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function isDirective(k: string): boolean {
  return k === '$patch' || k === '$retainKeys' || k.startsWith(ORDER) || k.startsWith(DELETE_PRIMITIVE);
}

function badPatch(message: string): StatusError {
  return errors.badRequest(message);
}

/** Scalars and merge-key values compare by value; objects (rare as keys) by their JSON. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

function indexKey(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
}

/**
 * A value from the patch that lands where nothing merges with it: nulls dropped (the server
 * merges with IgnoreUnmatchedNulls) and directives applied against an empty original.
 */
function fresh(v: unknown, meta: FieldMeta | undefined): unknown {
  if (Array.isArray(v)) {
    if (meta?.strategy?.startsWith('merge')) return mergeList([], v, meta);
    return v.map((x) => fresh(x, undefined));
  }
  if (isObj(v)) return mergeMap({}, v, fieldType(meta));
  return v;
}

/** Strategic merge of a patch map onto an original map (neither is modified). */
function mergeMap(original: Obj, patch: Obj, type: TypeMeta): Obj {
  const directive = patch.$patch;
  if (directive !== undefined && directive !== 'merge') {
    if (directive === 'delete') return {};
    if (directive !== 'replace') throw badPatch(`unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
    const out: Obj = {};
    for (const [k, v] of Object.entries(patch)) if (!isDirective(k) && v !== null) out[k] = fresh(v, type[k]);
    return out;
  }
  const out: Obj = { ...original };
  if ('$retainKeys' in patch) {
    const retain = patch.$retainKeys;
    if (!Array.isArray(retain) || retain.some((x) => typeof x !== 'string')) throw badPatch('invalid patch format of retainKeys');
    const keep = new Set<string>(retain);
    for (const [k, v] of Object.entries(patch)) if (v !== null && !isDirective(k) && !keep.has(k)) throw badPatch('invalid patch format of retainKeys');
    for (const k of Object.keys(out)) if (!keep.has(k)) delete out[k];
  }
  let ordered: Set<string> | undefined;
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(ORDER)) continue;
    if (!Array.isArray(order)) throw badPatch('invalid patch format of setElementOrder list');
    const field = k.slice(ORDER.length);
    (ordered ??= new Set()).add(field);
    const meta = type[field];
    const pv = patch[field];
    if (pv === null) {
      delete out[field];
      continue;
    }
    const ov: unknown[] = Array.isArray(out[field]) ? out[field] : [];
    const plist: unknown[] = Array.isArray(pv) ? pv : [];
    if (!ov.length && !plist.length) continue;
    const merged = !ov.length ? (fresh(plist, meta) as unknown[]) : !plist.length ? ov : mergeList(ov, plist, meta, true);
    out[field] = reorder(merged, order, ov, meta?.mergeKey);
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) {
      if (k.startsWith(DELETE_PRIMITIVE)) {
        const field = k.slice(DELETE_PRIMITIVE.length);
        if (!Array.isArray(v)) throw badPatch('invalid patch format of primitive list');
        if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !v.some((d) => sameValue(d, x)));
      }
      continue;
    }
    if (ordered?.has(k)) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const meta = type[k];
    const ov = out[k];
    if (ov === undefined || ov === null) out[k] = fresh(v, meta);
    else if (Array.isArray(v) && Array.isArray(ov)) out[k] = meta?.strategy?.startsWith('merge') ? mergeList(ov, v, meta) : fresh(v, undefined);
    else if (isObj(v) && isObj(ov)) out[k] = meta?.strategy === 'replace' ? fresh(v, meta) : mergeMap(ov, v, fieldType(meta));
    else out[k] = fresh(v, meta);
  }
  return out;
}

/**
 * Merges a patch list into an original list with strategy merge: maps by merge key,
 * primitives as a set. Unless `unordered`, the result follows Kubernetes' order: items
 * named in the patch in patch order, interleaved with server-only items in live order.
 */
function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta | undefined, unordered = false): unknown[] {
  if (!original.length && !patch.length) return original;
  const sample = patch.length ? patch[0] : original[0];
  const key = meta?.mergeKey;
  let merged: unknown[];
  let plain: unknown[] = patch;
  let server = original;
  if (!isObj(sample)) {
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((x) => sameValue(x, v))) merged.push(v);
  } else {
    if (!key) throw errors.internal(new Error(`cannot merge lists without merge key`));
    let replace = false;
    plain = [];
    for (const p of patch) {
      if (!isObj(p)) throw badPatch(`invalid list item in a strategic merge patch: ${JSON.stringify(p)}`);
      const d = p.$patch;
      if (d === undefined) plain.push(p);
      else if (d === 'delete') {
        if (!(key in p)) throw errors.internal(new Error(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`));
        server = server.filter((x) => !(isObj(x) && sameValue(x[key], p[key])));
      } else if (d === 'replace') replace = true;
      else if (d !== 'merge') throw badPatch(`unknown patch type: ${JSON.stringify(d)} in map: ${JSON.stringify(p)}`);
      else plain.push(p);
    }
    const itemType = fieldType(meta);
    if (replace) return plain.map((p) => mergeMap({}, p as Obj, itemType));
    merged = server.slice();
    const at = new Map<unknown, number>();
    merged.forEach((x, i) => {
      if (isObj(x) && !at.has(indexKey(x[key]))) at.set(indexKey(x[key]), i);
    });
    for (const p of plain as Obj[]) {
      if (!(key in p)) throw errors.internal(new Error(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`));
      const i = at.get(indexKey(p[key]));
      if (i !== undefined) merged[i] = mergeMap(merged[i] as Obj, p, itemType);
      else {
        at.set(indexKey(p[key]), merged.length);
        merged.push(mergeMap({}, p, itemType));
      }
    }
  }
  return unordered ? merged : reorder(merged, plain, server, key);
}

/**
 * Kubernetes' normalizeElementOrder: items present in `order` sorted by it, server-only
 * items sorted by their live order, then the two interleaved keeping each one's order and
 * placing a server-only item before a patch item when the live list had it first.
 */
function reorder(merged: unknown[], order: unknown[], live: unknown[], key: string | undefined): unknown[] {
  const id = (v: unknown) => indexKey(key && isObj(v) ? v[key] : v);
  const posIn = (list: unknown[]) => {
    const m = new Map<unknown, number>();
    list.forEach((v, i) => {
      if (!m.has(id(v))) m.set(id(v), i);
    });
    return m;
  };
  const orderPos = posIn(order);
  const livePos = posIn(live);
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of merged) (orderPos.has(id(v)) ? inPatch : serverOnly).push(v);
  if (!inPatch.length) return serverOnly.sort((a, b) => (livePos.get(id(a)) ?? 0) - (livePos.get(id(b)) ?? 0));
  inPatch.sort((a, b) => orderPos.get(id(a))! - orderPos.get(id(b))!);
  serverOnly.sort((a, b) => (livePos.get(id(a)) ?? 0) - (livePos.get(id(b)) ?? 0));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (i >= serverOnly.length) out.push(inPatch[j++]);
    else if (j >= inPatch.length) out.push(serverOnly[i++]);
    else {
      const l = livePos.get(id(serverOnly[i]));
      const r = livePos.get(id(inPatch[j]));
      if (l !== undefined && r !== undefined && l < r) out.push(serverOnly[i++]);
      else out.push(inPatch[j++]);
    }
  }
  return out;
}

/**
 * Strategic merge patch of `patch` onto `original`, with the list rules of `type`
 * (from rootType(group, kind)); neither argument is modified.
 */
export function strategicMerge(original: unknown, patch: unknown, type: TypeMeta = rootType('', '')): unknown {
  if (!isObj(patch)) return clone(patch);
  return mergeMap(isObj(original) ? original : {}, patch, type);
}

/** A deep copy of plain JSON data, a few times faster than a JSON round trip. */
function copyJson(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyJson(v[i]);
    return out;
  }
  const out: Obj = {};
  for (const k in v as Obj) {
    const x = (v as Obj)[k];
    if (x !== undefined) out[k] = copyJson(x);
  }
  return out;
}

function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? '';
  const i = v.indexOf('/');
  return i < 0 ? '' : v.slice(0, i);
}

const JSON_PATCH_FAILURES: Record<string, string> = {
  TEST_OPERATION_FAILED: 'test failed',
  OPERATION_PATH_UNRESOLVABLE: 'doc is missing path',
  OPERATION_FROM_UNRESOLVABLE: 'doc is missing from path',
  OPERATION_PATH_CANNOT_ADD: 'doc is missing the parent of path',
  OPERATION_PATH_ILLEGAL_ARRAY_INDEX: 'invalid array index',
  OPERATION_VALUE_OUT_OF_BOUNDS: 'array index out of bounds',
};

/**
 * Which operation of a JSON patch failed and why. kube-apiserver answers with the generic 422
 * message alone; the cause (operation, index, path) is what tells the client what to fix.
 */
function jsonPatchCause(err: unknown): { reason: string; message: string; field?: string } {
  const e = err as Error & { name?: string; index?: number; operation?: { op?: string; path?: string; from?: string } };
  const op = e.operation;
  const why = JSON_PATCH_FAILURES[e.name ?? ''] ?? (e.message ?? String(err)).split('\n')[0]!;
  if (!op) return { reason: 'FieldValueInvalid', message: why };
  const from = op.from !== undefined && e.name === 'OPERATION_FROM_UNRESOLVABLE' ? ` (from ${op.from})` : '';
  return { reason: 'FieldValueInvalid', message: `${op.op} operation ${e.index ?? 0} does not apply at ${op.path}${from}: ${why}`, field: op.path };
}

// As kube-apiserver: at most this many operations, and `copy` operations together may add
// at most the request body limit to the object (evanphx/json-patch's AccumulatedCopySizeLimit);
// without it, 25 doubling copies of a small field ask for gigabytes.
const MAX_JSON_PATCH_OPERATIONS = 10_000;
export const JSON_PATCH_COPY_LIMIT = 3 * 1024 * 1024;

function checkJsonPatchSize(ops: unknown[]): void {
  if (ops.length > MAX_JSON_PATCH_OPERATIONS)
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed number of operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
}

/** fast-json-patch's applyPatch, one operation at a time, refusing copies past the limit. */
function applyJsonPatchBounded(doc: KObject, ops: jsonpatch.Operation[]): KObject {
  let copied = 0;
  let out: unknown = doc;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op && typeof op === 'object' && op.op === 'copy' && typeof op.from === 'string') {
      let value: unknown;
      try {
        value = jsonpatch.getValueByPointer(out, op.from);
      } catch {
        value = undefined; // applyOperation reports the unresolvable path
      }
      if (value !== undefined) {
        copied += jsonSizeUpTo(value, JSON_PATCH_COPY_LIMIT - copied + 1);
        if (copied > JSON_PATCH_COPY_LIMIT)
          throw new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
            causes: [
              {
                reason: 'FieldValueInvalid',
                message: `Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${JSON_PATCH_COPY_LIMIT}`,
                field: op.path,
              },
            ],
          });
      }
    }
    out = jsonpatch.applyOperation(out, op, true, true, true, i).newDocument;
  }
  return out as KObject;
}

/** The size of `v` as JSON, or a number above `limit` as soon as it is known to pass it. Iterative. */
function jsonSizeUpTo(v: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [v];
  while (stack.length) {
    const cur = stack.pop();
    if (cur === null || typeof cur !== 'object') size += typeof cur === 'string' ? cur.length + 2 : String(cur).length;
    else if (Array.isArray(cur)) {
      size += 2 + cur.length;
      for (const x of cur) stack.push(x);
    } else {
      for (const [k, x] of Object.entries(cur)) {
        size += k.length + 4;
        stack.push(x);
      }
      size += 2;
    }
    if (size > limit) return size;
  }
  return size;
}

/** Applies a patch of the given content type to a mutable copy of `current`. */
export function applyPatch(current: KObject, patchType: string, patch: unknown): KObject {
  switch (patchType) {
    case PATCH_TYPES.json: {
      if (!Array.isArray(patch)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      checkJsonPatchSize(patch);
      try {
        return applyJsonPatchBounded(clone(current), patch as jsonpatch.Operation[]);
      } catch (err) {
        if (err instanceof StatusError) throw err;
        const e = err as Error & { name?: string };
        // An operation that is not an object does not decode (400); any failure to apply one
        // — a failed test, a missing path — is Kubernetes' generic 422.
        if (e.name === 'OPERATION_NOT_AN_OBJECT')
          throw errors.badRequest(`json: cannot unmarshal into Go value of type jsonpatch.Operation: ${e.message.split('\n')[0]}`);
        throw new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [jsonPatchCause(err)] });
      }
    }
    case PATCH_TYPES.merge:
      if (!isObj(patch)) throw errors.badRequest('the body of a merge patch must be a JSON object');
      return mergePatch(current, patch) as KObject;
    case PATCH_TYPES.strategic:
      if (!isObj(patch)) throw errors.badRequest('the body of a strategic merge patch must be a JSON object');
      // The result shares unpatched subtrees with `current`; a deep copy keeps callers free to mutate it.
      return copyJson(strategicMerge(current, patch, rootType(groupOf(current.apiVersion), current.kind ?? ''))) as KObject;
    default:
      throw errors.unsupportedMediaType(patchType);
  }
}
