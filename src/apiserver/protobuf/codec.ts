// Converts between Kubernetes' protobuf messages and their JSON form, for every message in
// wire.generated.ts. The JSON shape follows Go's encoding/json over the same struct: a
// non-pointer scalar is dropped when zero only if omitempty; an absent pointer, slice or map
// without omitempty is null; a struct is always there; inline structs merge into their parent.
// Writing follows gogo-protobuf: fields in number order, non-pointer scalars and structs
// always, pointers only when set, repeated scalars unpacked, map entries sorted by key.

import protobuf from 'protobufjs';
import { ByteWriter } from './byte-writer.js';
import { JSON_FORMS, type JsonForm, ProtobufDecodeError, ProtobufEncodeError } from './json-forms.js';
import { LIST_MESSAGES, MESSAGES, type WireField } from './wire.generated.js';

const REPEATED = 1;
const MAP = 2;
const POINTER = 4;
const OMITEMPTY = 8;
const INLINE = 16;

const VARINT = new Set(['int32', 'int64', 'uint32', 'uint64', 'bool']);

function wireTypeOf(type: string): number {
  if (VARINT.has(type)) return 0;
  if (type === 'double') return 1;
  if (type === 'float') return 5;
  return 2; // string, bytes, messages
}

const isMessage = (type: string): boolean => type in MESSAGES;

function fieldsOf(def: string): readonly WireField[] {
  const fields = MESSAGES[def];
  if (!fields) throw new Error(`no protobuf message ${def}`);
  return fields;
}

const byNumber = new Map<string, Map<number, WireField>>();
function fieldByNumber(def: string, n: number): WireField | undefined {
  let m = byNumber.get(def);
  if (!m) {
    m = new Map(fieldsOf(def).map((f) => [f[1], f]));
    byNumber.set(def, m);
  }
  return m.get(n);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const toNumber = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());

function readScalar(type: string, r: protobuf.Reader): unknown {
  switch (type) {
    case 'string':
      return utf8.decode(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.bool();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    // Beyond 2^53 precision is lost; no Kubernetes field gets near that.
    case 'int64':
      return toNumber(r.int64());
    case 'uint64':
      return toNumber(r.uint64());
    case 'double':
      return r.double();
    case 'float':
      return r.float();
    default:
      throw new ProtobufDecodeError(`unsupported scalar type ${type}`);
  }
}

function readValue(field: WireField, wt: number, r: protobuf.Reader, path: string): unknown {
  const [name, , type] = field;
  if (wt !== wireTypeOf(type)) throw new ProtobufDecodeError(`${path}: wire type ${wt} where ${name} needs ${wireTypeOf(type)}`);
  return isMessage(type) ? decodeMessage(type, r.bytes(), path) : readScalar(type, r);
}

function zeroScalar(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return null; // a nil []byte marshals as null
  return 0;
}

function readMapEntry(field: WireField, bytes: Uint8Array, path: string): [string, unknown] {
  const r = protobuf.Reader.create(bytes);
  let key = '';
  let value: unknown;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) key = utf8.decode(r.bytes());
    else if (tag >>> 3 === 2) value = readValue(field, tag & 7, r, `${path}[${key}]`);
    else r.skipType(tag & 7);
  }
  // gogo omits a zero value; Go reads it back as the zero value.
  if (value === undefined)
    value = isMessage(field[2]) ? decodeMessage(field[2], new Uint8Array(0), `${path}[${key}]`) : field[2] === 'bytes' ? '' : zeroScalar(field[2]);
  return [key, value];
}

/** Wire values of one message by field name, nested messages already in JSON form. */
function readFields(def: string, bytes: Uint8Array, path: string): Map<string, unknown> {
  const r = protobuf.Reader.create(bytes);
  const out = new Map<string, unknown>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const wt = tag & 7;
    const field = fieldByNumber(def, tag >>> 3);
    if (field === undefined) {
      // A field this version does not know (a newer client's): skipped, as gogo does.
      r.skipType(wt);
      continue;
    }
    const [name, , type, flags] = field;
    const fpath = path ? `${path}.${name}` : name;
    if (flags & MAP) {
      if (wt !== 2) throw new ProtobufDecodeError(`${fpath}: map entry with wire type ${wt}`);
      const entries = (out.get(name) ?? {}) as Record<string, unknown>;
      const [k, v] = readMapEntry(field, r.bytes(), fpath);
      entries[k] = v;
      out.set(name, entries);
    } else if (flags & REPEATED) {
      const list = (out.get(name) ?? []) as unknown[];
      if (wt === 2 && wireTypeOf(type) !== 2) {
        // Packed scalars: gogo writes proto2 repeated scalars unpacked, a proto3-minded client may pack them.
        const end = r.uint32() + r.pos;
        while (r.pos < end) list.push(readScalar(type, r));
      } else {
        list.push(readValue(field, wt, r, `${fpath}[${list.length}]`));
      }
      out.set(name, list);
    } else {
      out.set(name, readValue(field, wt, r, fpath));
    }
  }
  return out;
}

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false;

/** Decodes one message (by definition name) into its Kubernetes JSON form. */
export function decodeMessage(def: string, bytes: Uint8Array, path = ''): unknown {
  const values = readFields(def, bytes, path);
  const form = JSON_FORMS[def];
  if (form) return form.decode(values, bytes.length, path);
  if (LIST_MESSAGES.has(def)) return values.get('items') ?? [];
  const out: Record<string, unknown> = {};
  for (const [name, , type, flags] of fieldsOf(def)) {
    const present = values.has(name);
    const value = values.get(name);
    if (flags & INLINE) {
      Object.assign(out, present ? value : decodeMessage(type, new Uint8Array(0), path));
      continue;
    }
    const scalar = !(flags & (REPEATED | MAP)) && !isMessage(type);
    const struct = !(flags & (REPEATED | MAP | POINTER)) && isMessage(type);
    if (!present) {
      if (struct) out[name] = decodeMessage(type, new Uint8Array(0), path ? `${path}.${name}` : name);
      else if (!(flags & OMITEMPTY)) out[name] = scalar && !(flags & POINTER) ? zeroScalar(type) : null;
      continue;
    }
    if (scalar && isZero(value) && !(flags & POINTER) && flags & OMITEMPTY) continue;
    out[name] = value;
  }
  return out;
}

// Scalar types, resolved once per field so that writing a value compares numbers.
const STRING = 1;
const BYTES = 2;
const BOOL = 3;
const DOUBLE = 4;
const FLOAT = 5;
const UNSIGNED = 6;
const SIGNED = 7;

function scalarKind(type: string): number {
  switch (type) {
    case 'string':
      return STRING;
    case 'bytes':
      return BYTES;
    case 'bool':
      return BOOL;
    case 'double':
      return DOUBLE;
    case 'float':
      return FLOAT;
    case 'uint32':
    case 'uint64':
      return UNSIGNED;
    default:
      return SIGNED;
  }
}

/** A field as the encoder walks it: the key and the facts it needs resolved once per message. */
interface EncodeField {
  readonly name: string;
  readonly n: number;
  readonly type: string;
  readonly flags: number;
  readonly message: boolean;
  /** For a scalar: its kind and wire type. */
  readonly kind: number;
  readonly wireType: number;
}

/** A message as the encoder walks it, looked up once per definition instead of once per value. */
interface EncodePlan {
  readonly fields: readonly EncodeField[];
  readonly form: JsonForm | undefined;
  readonly list: boolean;
}

const plans = new Map<string, EncodePlan>();
function planOf(def: string): EncodePlan {
  let plan = plans.get(def);
  if (!plan) {
    const fields = fieldsOf(def).map(([name, n, type, flags]) => ({
      name,
      n,
      type,
      flags,
      message: isMessage(type),
      kind: scalarKind(type),
      wireType: wireTypeOf(type),
    }));
    plan = { fields, form: JSON_FORMS[def], list: LIST_MESSAGES.has(def) };
    plans.set(def, plan);
  }
  return plan;
}

// Field paths only explain a failure: the encoder runs without them, and when a value turns
// out wrong it runs again building them, so that the error names where (see encodeMessage).
let tracking = false;
const child = (path: string, name: string): string => (tracking ? (path ? `${path}.${name}` : name) : '');
const element = (path: string, key: string | number): string => (tracking ? `${path}[${key}]` : '');

function badScalar(type: string, v: unknown, path: string): never {
  throw new ProtobufEncodeError(`${path}: ${JSON.stringify(v)} is not a ${type}`);
}

function writeScalar(w: ByteWriter, n: number, field: EncodeField, v: unknown, path: string): void {
  w.tag(n, field.wireType);
  switch (field.kind) {
    case STRING:
      if (typeof v !== 'string') badScalar(field.type, v, path);
      w.string(v);
      break;
    case BYTES:
      // Base64 in the JSON form; raw bytes when the caller has them already (the envelope's object).
      if (v instanceof Uint8Array) w.bytes(v);
      else if (typeof v === 'string') w.bytes(Buffer.from(v, 'base64'));
      else badScalar(field.type, v, path);
      break;
    case BOOL:
      if (typeof v !== 'boolean') badScalar(field.type, v, path);
      w.bool(v);
      break;
    case DOUBLE:
      if (typeof v !== 'number') badScalar(field.type, v, path);
      w.double(v);
      break;
    case FLOAT:
      if (typeof v !== 'number') badScalar(field.type, v, path);
      w.float(v);
      break;
    case UNSIGNED:
      if (!Number.isInteger(v)) badScalar(field.type, v, path);
      w.varint(v as number);
      break;
    default:
      if (!Number.isInteger(v)) badScalar(field.type, v, path);
      w.signed(v as number);
  }
}

// Nested messages are written in place rather than encoded apart and copied in: a list of
// thousands of objects is one pass over one writer.
function writeMessage(w: ByteWriter, n: number, type: string, v: unknown, path: string): void {
  const start = w.tag(n, 2).begin();
  writeFields(w, type, v, path);
  w.end(start);
}

function writeOne(w: ByteWriter, field: EncodeField, n: number, v: unknown, path: string): void {
  if (field.message) writeMessage(w, n, field.type, v, path);
  else writeScalar(w, n, field, v, path);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function writeFields(w: ByteWriter, def: string, value: unknown, path: string): void {
  const { fields, form, list } = planOf(def);
  // A form's fields are written only when present: its message has no Go struct of its own.
  const values = form ? form.encode(value, path) : list ? { items: value ?? [] } : value;
  if (values !== undefined && values !== null && !isObject(values)) throw new ProtobufEncodeError(`${path || '<root>'}: expected an object`);
  const obj = values ?? {};
  for (let f = 0; f < fields.length; f++) {
    const field = fields[f]!;
    const { name, n, type, flags } = field;
    if (flags & INLINE) {
      writeMessage(w, n, type, obj, path);
      continue;
    }
    const v = obj[name];
    if (v === undefined || v === null) {
      // gogo writes non-pointer fields even when zero; a form writes only what it set.
      if (form || flags & (POINTER | MAP | REPEATED)) continue;
      if (field.message) writeMessage(w, n, type, undefined, child(path, name));
      else if (field.kind !== BYTES) writeScalar(w, n, field, zeroScalar(type), child(path, name));
      continue;
    }
    const fpath = child(path, name);
    if (flags & MAP) {
      if (!isObject(v)) throw new ProtobufEncodeError(`${fpath}: expected a map`);
      for (const key of Object.keys(v).sort()) {
        const start = w.tag(n, 2).begin();
        w.tag(1, 2).string(key);
        if (v[key] !== null) writeOne(w, field, 2, v[key], element(fpath, key));
        w.end(start);
      }
    } else if (flags & REPEATED) {
      if (!Array.isArray(v)) throw new ProtobufEncodeError(`${fpath}: expected a list`);
      for (let i = 0; i < v.length; i++) writeOne(w, field, n, v[i], element(fpath, i));
    } else {
      writeOne(w, field, n, v, fpath);
    }
  }
}

/** Encodes a JSON value as the message `def` (without envelope). */
export function encodeMessage(def: string, value: unknown, path = ''): Uint8Array {
  try {
    const w = new ByteWriter();
    writeFields(w, def, value, path);
    return w.finish();
  } catch (err) {
    if (!(err instanceof ProtobufEncodeError) || tracking) throw err;
    // Again, naming the fields on the way down, so that the error says which value it was.
    tracking = true;
    try {
      writeFields(new ByteWriter(), def, value, path);
    } finally {
      tracking = false;
    }
    throw err;
  }
}
