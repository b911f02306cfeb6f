// Sets of field paths, as structured-merge-diff keeps them for server-side apply, and their
// FieldsV1 wire form. A path is a list of elements written the way FieldsV1 writes them:
// `f:spec` (a field), `k:{"name":"c"}` (a list item by its keys), `v:"x"` (a set value),
// `i:0` (a list index). The set is a tree: a node is a member when the path that ends at
// it is in the set (FieldsV1 writes that as "." when the node also has children).

export class FieldSet {
  member = false;
  children?: Map<string, FieldSet>;

  child(el: string): FieldSet | undefined {
    return this.children?.get(el);
  }

  /** The node for `el`, created when missing. */
  at(el: string): FieldSet {
    this.children ??= new Map();
    let c = this.children.get(el);
    if (!c) this.children.set(el, (c = new FieldSet()));
    return c;
  }

  insert(path: readonly string[]): void {
    let n: FieldSet = this;
    for (const el of path) n = n.at(el);
    n.member = true;
  }

  has(path: readonly string[]): boolean {
    let n: FieldSet | undefined = this;
    for (const el of path) if (!(n = n.child(el))) return false;
    return n.member;
  }

  empty(): boolean {
    if (this.member) return false;
    if (this.children) for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** True when this node or anything below it is a member. */
  hasAnyAt(path: readonly string[]): boolean {
    let n: FieldSet | undefined = this;
    for (const el of path) if (!(n = n.child(el))) return false;
    return !n.empty();
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    if (this.children) {
      out.children = new Map();
      for (const [k, c] of this.children) out.children.set(k, c.clone());
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    mergeInto(out, other);
    return out;
  }

  /** Members of this set that are not members of `other`. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    if (this.children)
      for (const [k, c] of this.children) {
        const o = other.child(k);
        const d = o ? c.difference(o) : c.clone();
        if (!d.empty()) (out.children ??= new Map()).set(k, d);
      }
    return out;
  }

  /** This set without the members of `other` and without anything below them. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    if (this.children)
      for (const [k, c] of this.children) {
        const o = other.child(k);
        if (o?.member) continue;
        const d = o ? c.recursiveDifference(o) : c.clone();
        if (!d.empty()) (out.children ??= new Map()).set(k, d);
      }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    if (this.children)
      for (const [k, c] of this.children) {
        const o = other.child(k);
        if (!o) continue;
        const i = c.intersection(o);
        if (!i.empty()) (out.children ??= new Map()).set(k, i);
      }
    return out;
  }

  /** Every member path, in structured-merge-diff's order (fields, keys, values, indexes). */
  paths(prefix: string[] = [], out: string[][] = []): string[][] {
    if (this.member && prefix.length) out.push(prefix);
    if (this.children) for (const k of [...this.children.keys()].sort(compareElements)) this.children.get(k)!.paths([...prefix, k], out);
    return out;
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (!this.children) return out;
    if (this.member) out['.'] = {};
    for (const k of [...this.children.keys()].sort(compareElements)) {
      const c = this.children.get(k)!;
      if (!c.empty()) out[k] = c.toFieldsV1();
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    decodeInto(set, v);
    return set;
  }
}

/** FieldsV1 JSON as stored: a node is a member when it is {} or holds ".". */
export type RawFields = Record<string, any>;

function rawMember(r: RawFields): boolean {
  if ('.' in r) return true;
  for (const _ in r) return false;
  return true;
}

/** Whether any member of `set` is a member of the stored FieldsV1 `raw` (no decoding). */
export function intersectsRaw(set: FieldSet, raw: RawFields | undefined): boolean {
  if (!set.children || !raw) return false;
  for (const [k, c] of set.children) {
    const r = raw[k];
    if (!r || typeof r !== 'object') continue;
    if (c.member && rawMember(r)) return true;
    if (intersectsRaw(c, r)) return true;
  }
  return false;
}

/** Whether every member of `set` is a member of the stored FieldsV1 `raw`. */
export function containedInRaw(set: FieldSet, raw: RawFields | undefined): boolean {
  if (!set.children) return true;
  for (const [k, c] of set.children) {
    const r = raw?.[k];
    if (!r || typeof r !== 'object') {
      if (!c.empty()) return false;
      continue;
    }
    if (c.member && !rawMember(r)) return false;
    if (!containedInRaw(c, r)) return false;
  }
  return true;
}

function mergeInto(into: FieldSet, from: FieldSet): void {
  if (from.member) into.member = true;
  if (from.children) for (const [k, c] of from.children) mergeInto(into.at(k), c);
}

function decodeInto(node: FieldSet, v: unknown): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('FieldsV1 must be a JSON object');
  const entries = Object.entries(v as Record<string, unknown>);
  for (const [k, c] of entries) {
    if (k === '.') {
      node.member = true;
      continue;
    }
    if (!/^[fkvi]:/.test(k)) throw new Error(`unexpected FieldsV1 key ${JSON.stringify(k)}`);
    const child = node.at(k);
    const sub = Object.keys((c ?? {}) as object);
    if (sub.length === 0) child.member = true;
    else decodeInto(child, c);
  }
}

const ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

export function compareElements(a: string, b: string): number {
  const d = (ORDER[a[0]!] ?? 4) - (ORDER[b[0]!] ?? 4);
  if (d) return d;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

function valueString(v: unknown): string {
  return JSON.stringify(v);
}

/** A path as structured-merge-diff prints it: `.spec.containers[name="c"].image`. */
export function pathString(path: readonly string[]): string {
  let s = '';
  for (const el of path) {
    const body = el.slice(2);
    switch (el[0]) {
      case 'f':
        s += `.${body}`;
        break;
      case 'k': {
        const key = JSON.parse(body) as Record<string, unknown>;
        s += `[${Object.entries(key)
          .map(([k, v]) => `${k}=${valueString(v)}`)
          .join(',')}]`;
        break;
      }
      case 'v':
        s += `[=${body}]`;
        break;
      default:
        s += `[${body}]`;
    }
  }
  return s;
}
