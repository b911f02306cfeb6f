// Server-side apply's operations on objects, guided by the list semantics of merge-meta:
// the field set an applied configuration names, the comparison of two objects (what a
// write added, changed or removed), the merge of a configuration into a live object, and
// the removal of one path.
import { FieldSet } from './fieldset.js';
import { fieldType, KEY_DEFAULTS, type FieldMeta, type TypeMeta } from './merge-meta.js';

type Obj = Record<string, any>;

function isObj(v: unknown): v is Obj {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function granular(meta: FieldMeta | undefined): boolean {
  return meta?.listType === 'map' || meta?.listType === 'set';
}

/** The path element of a list item: its keys, its value (sets) or its index. */
export function itemElement(item: unknown, meta: FieldMeta | undefined, index: number): string {
  if (meta?.listType === 'set') return `v:${JSON.stringify(item)}`;
  if (meta?.listType === 'map' && meta.keys && isObj(item)) {
    if (meta.keys.length === 1) {
      const k = meta.keys[0]!;
      const v = item[k] ?? KEY_DEFAULTS[k];
      return v === undefined ? 'k:{}' : `k:{${JSON.stringify(k)}:${JSON.stringify(v)}}`;
    }
    const key: Obj = {};
    for (const k of meta.keys.length > 1 ? [...meta.keys].sort() : meta.keys) {
      const v = item[k] ?? KEY_DEFAULTS[k];
      if (v !== undefined) key[k] = v;
    }
    return `k:${JSON.stringify(key)}`;
  }
  return `i:${index}`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!(k in b) || !deepEqual((a as Obj)[k], (b as Obj)[k])) return false;
  return true;
}

/** A value that is one field of the set as a whole (no finer ownership inside it). */
function isLeaf(v: unknown, meta: FieldMeta | undefined): boolean {
  if (Array.isArray(v)) return !granular(meta);
  if (isObj(v)) return !!meta?.atomic || Object.keys(v).length === 0;
  return true;
}

function walkSet(v: unknown, meta: FieldMeta | undefined, path: string[], set: FieldSet): void {
  if (isLeaf(v, meta)) {
    set.insert(path);
    return;
  }
  if (Array.isArray(v)) {
    const t = fieldType(meta);
    v.forEach((item, i) => {
      const p = [...path, itemElement(item, meta, i)];
      set.insert(p);
      if (isObj(item)) for (const [k, x] of Object.entries(item)) walkSet(x, t[k], [...p, `f:${k}`], set);
    });
    return;
  }
  const t = fieldType(meta);
  for (const [k, x] of Object.entries(v as Obj)) walkSet(x, t[k], [...path, `f:${k}`], set);
}

/** The fields an applied configuration sets (structured-merge-diff's ToFieldSet). */
export function toFieldSet(obj: Obj, type: TypeMeta): FieldSet {
  const set = new FieldSet();
  for (const [k, v] of Object.entries(obj)) walkSet(v, type[k], [`f:${k}`], set);
  return set;
}

// Go always serialises these structs (they are not pointers), so a write never "adds" them.
const ALWAYS_PRESENT = new Set(['f:spec', 'f:status', 'f:metadata', 'f:template', 'f:strategy', 'f:updateStrategy', 'f:resources', 'f:jobTemplate']);

// The comparison walks with one mutable path (push/pop): it runs on every write.
function markAll(v: unknown, meta: FieldMeta | undefined, path: string[], set: FieldSet, item: boolean): void {
  if (isLeaf(v, meta)) {
    set.insert(path);
    return;
  }
  // A new map (or list item) is itself a member; a new list is only its items.
  if (item || (!Array.isArray(v) && !ALWAYS_PRESENT.has(path[path.length - 1]!))) set.insert(path);
  if (Array.isArray(v)) {
    const itemMeta: FieldMeta = { type: meta?.type };
    for (let i = 0; i < v.length; i++) {
      path.push(itemElement(v[i], meta, i));
      markAll(v[i], itemMeta, path, set, true);
      path.pop();
    }
    return;
  }
  const t = fieldType(meta);
  for (const k in v as Obj) {
    path.push(`f:${k}`);
    markAll((v as Obj)[k], t[k], path, set, false);
    path.pop();
  }
}

export interface Comparison {
  /** Paths added or modified by the write. */
  changed: FieldSet;
  removed: FieldSet;
}

function cmp(a: unknown, b: unknown, meta: FieldMeta | undefined, path: string[], out: Comparison, item: boolean): void {
  if (a === b) return;
  if (a === undefined) {
    markAll(b, meta, path, out.changed, item);
    return;
  }
  if (b === undefined) {
    markAll(a, meta, path, out.removed, item);
    return;
  }
  // An unchanged list item (most of them, in a big list) marks nothing: one equality walk
  // is cheaper than comparing it field by field.
  if (item && deepEqual(a, b)) return;
  const maps = isObj(a) && isObj(b) && !meta?.atomic;
  if (!maps && (isLeaf(a, meta) || isLeaf(b, meta) || Array.isArray(a) !== Array.isArray(b))) {
    if (!deepEqual(a, b)) out.changed.insert(path);
    return;
  }
  const t = fieldType(meta);
  if (Array.isArray(a)) {
    const bl = b as unknown[];
    const left = new Map<string, unknown>();
    a.forEach((x, i) => {
      left.set(itemElement(x, meta, i), x);
    });
    const right = new Map<string, unknown>();
    bl.forEach((x, i) => {
      right.set(itemElement(x, meta, i), x);
    });
    const itemMeta: FieldMeta = { type: meta?.type };
    for (const [el, x] of left) {
      path.push(el);
      cmp(x, right.get(el), itemMeta, path, out, true);
      path.pop();
    }
    for (const [el, x] of right)
      if (!left.has(el)) {
        path.push(el);
        cmp(undefined, x, itemMeta, path, out, true);
        path.pop();
      }
    return;
  }
  const ao = a as Obj;
  const bo = b as Obj;
  for (const k in ao) {
    path.push(`f:${k}`);
    cmp(ao[k], bo[k], t[k], path, out, false);
    path.pop();
  }
  for (const k in bo)
    if (!(k in ao)) {
      path.push(`f:${k}`);
      cmp(undefined, bo[k], t[k], path, out, false);
      path.pop();
    }
}

/** What a write from `before` to `after` added or changed, and what it removed. */
export function compareObjects(before: Obj, after: Obj, type: TypeMeta): Comparison {
  const out: Comparison = { changed: new FieldSet(), removed: new FieldSet() };
  const path: string[] = [];
  for (const k in before) {
    path.push(`f:${k}`);
    cmp(before[k], after[k], type[k], path, out, false);
    path.pop();
  }
  for (const k in after)
    if (!(k in before)) {
      path.push(`f:${k}`);
      cmp(undefined, after[k], type[k], path, out, false);
      path.pop();
    }
  return out;
}

const REMOVE = Symbol('remove');

function mergeValue(live: unknown, config: unknown, meta: FieldMeta | undefined): unknown {
  if (config === null) return REMOVE;
  if (live === undefined || live === null) return config;
  if (Array.isArray(config) && Array.isArray(live) && granular(meta)) return mergeLists(live, config, meta!);
  if (isObj(config) && isObj(live) && !meta?.atomic) return mergeObject(live, config, fieldType(meta));
  return config;
}

/** Associative lists: live items stay in place, config items keep their relative order. */
function mergeLists(live: unknown[], config: unknown[], meta: FieldMeta): unknown[] {
  const itemMeta: FieldMeta = { type: meta.type };
  const le = live.map((x, i) => itemElement(x, meta, i));
  const ce = config.map((x, i) => itemElement(x, meta, i));
  const cAt = new Map<string, number>();
  ce.forEach((e, i) => {
    if (!cAt.has(e)) cAt.set(e, i);
  });
  const lAt = new Map<string, number>();
  le.forEach((e, i) => {
    if (!lAt.has(e)) lAt.set(e, i);
  });
  const out: unknown[] = [];
  const emitted = new Set<string>();
  let ci = 0;
  const emit = (j: number) => {
    const e = ce[j]!;
    if (emitted.has(e)) return;
    emitted.add(e);
    const li = lAt.get(e);
    const v = li === undefined ? config[j] : mergeValue(live[li], config[j], itemMeta);
    if (v !== REMOVE) out.push(v);
  };
  for (let i = 0; i < live.length; i++) {
    const target = cAt.get(le[i]!);
    if (target === undefined) {
      out.push(live[i]);
      continue;
    }
    while (ci <= target) emit(ci++);
  }
  while (ci < config.length) emit(ci++);
  return out;
}

/** The live object with an applied configuration merged in (neither is modified). */
export function mergeObject(live: Obj, config: Obj, type: TypeMeta): Obj {
  const out: Obj = { ...live };
  for (const [k, v] of Object.entries(config)) {
    const r = mergeValue(live[k], v, type[k]);
    if (r === REMOVE) delete out[k];
    else out[k] = r;
  }
  return out;
}

function emptyContainer(v: unknown): boolean {
  return Array.isArray(v) ? v.length === 0 : isObj(v) && Object.keys(v).length === 0;
}

/**
 * Removes the value at `path` from a mutable object; parents left empty go too when
 * `dropEmpty(prefix)` allows (Go omits empty maps and lists, so Kubernetes shows none).
 */
export function removePath(root: Obj, path: readonly string[], type: TypeMeta, dropEmpty: (prefix: readonly string[]) => boolean = () => false): void {
  const rec = (cur: unknown, i: number, t: TypeMeta, meta: FieldMeta | undefined): void => {
    const el = path[i]!;
    const last = i === path.length - 1;
    if (el.startsWith('f:')) {
      if (!isObj(cur)) return;
      const name = el.slice(2);
      if (last) {
        delete cur[name];
        return;
      }
      const child = cur[name];
      rec(child, i + 1, fieldType(t[name]), t[name]);
      if (emptyContainer(child) && dropEmpty(path.slice(0, i + 1))) delete cur[name];
      return;
    }
    if (!Array.isArray(cur)) return;
    const idx = cur.findIndex((x, j) => itemElement(x, meta, j) === el);
    if (idx < 0) return;
    if (last) {
      cur.splice(idx, 1);
      return;
    }
    const child = cur[idx];
    rec(child, i + 1, t, meta);
    if (emptyContainer(child) && dropEmpty(path.slice(0, i + 1))) cur.splice(idx, 1);
  };
  if (path.length) rec(root, 0, type, undefined);
}
