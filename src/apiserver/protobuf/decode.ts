// Decodes `application/vnd.kubernetes.protobuf` request bodies (what kubectl's
// typed clients send, e.g. every `kubectl create <kind>` subcommand) into the
// plain object the same request would carry as JSON.
//
// The walk is ours rather than protobufjs's Type.decode for two reasons: an
// unknown field must fail the request instead of vanishing, and the JSON
// shape depends on Go facts (pointer, omitempty, inline) that the schema
// carries as field options; see meta.proto.ts for the zero-value rule. Only
// the runtime.Unknown envelope, which has no such subtleties, goes through
// protobufjs's own decoder.

import protobuf from 'protobufjs';
import { messageTypeFor, unknownType } from './schema.js';

export const KUBERNETES_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

export function decodeKubernetesProtobuf(body: Buffer | Uint8Array): Record<string, unknown> {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw new ProtobufDecodeError('protobuf body does not start with the Kubernetes magic bytes "k8s\\0"');
  }
  try {
    const envelope = unknownType.decode(body.subarray(MAGIC.length)) as unknown as Envelope;
    const apiVersion = envelope.typeMeta?.apiVersion ?? '';
    const kind = envelope.typeMeta?.kind ?? '';
    if (envelope.contentEncoding) {
      throw new ProtobufDecodeError(`unsupported protobuf contentEncoding "${envelope.contentEncoding}"`);
    }
    if (envelope.contentType && envelope.contentType !== KUBERNETES_PROTOBUF_CONTENT_TYPE) {
      throw new ProtobufDecodeError(`unsupported embedded contentType "${envelope.contentType}"`);
    }
    if (apiVersion === '' || kind === '') {
      throw new ProtobufDecodeError('protobuf envelope has no apiVersion/kind');
    }
    const type = messageTypeFor(apiVersion, kind);
    if (type === undefined) {
      throw new ProtobufDecodeError(`no protobuf schema for ${apiVersion} ${kind}; send it as application/json`);
    }
    const object = decodeMessage(type, envelope.raw ?? new Uint8Array(0), '') as Record<string, unknown>;
    return { kind, apiVersion, ...object };
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw err;
    // protobufjs's Reader throws RangeError on truncated input.
    throw new ProtobufDecodeError(`malformed protobuf body: ${(err as Error).message}`);
  }
}

/** runtime.Unknown as protobufjs decodes it (proto2 defaults on the prototype). */
interface Envelope {
  typeMeta?: { apiVersion?: string; kind?: string };
  raw?: Uint8Array;
  contentEncoding?: string;
  contentType?: string;
}

type Options = Record<string, unknown>;
const opt = (field: protobuf.Field, name: string): boolean => (field.options as Options | undefined)?.[`(${name})`] === true;

const VARINT = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64 = new Set(['double', 'fixed64', 'sfixed64']);
const FIXED32 = new Set(['float', 'fixed32', 'sfixed32']);

function wireTypeOf(field: protobuf.Field): number {
  if (field.resolvedType instanceof protobuf.Type) return 2;
  if (VARINT.has(field.type)) return 0;
  if (FIXED64.has(field.type)) return 1;
  if (FIXED32.has(field.type)) return 5;
  return 2; // string, bytes
}

const utf8 = new TextDecoder('utf-8');
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
    case 'sint32':
      return r.sint32();
    // Beyond 2^53 precision is lost; no Kubernetes field gets near that.
    case 'int64':
      return toNumber(r.int64());
    case 'uint64':
      return toNumber(r.uint64());
    case 'sint64':
      return toNumber(r.sint64());
    case 'double':
      return r.double();
    case 'float':
      return r.float();
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.sfixed32();
    case 'fixed64':
      return toNumber(r.fixed64());
    case 'sfixed64':
      return toNumber(r.sfixed64());
    default:
      throw new ProtobufDecodeError(`unsupported scalar type ${type}`);
  }
}

/** Reads one value of `field` whose tag said wire type `wt`. */
function readValue(field: protobuf.Field, wt: number, r: protobuf.Reader, path: string): unknown {
  const expected = wireTypeOf(field);
  if (wt !== expected) {
    throw new ProtobufDecodeError(`${path}: wire type ${wt} where ${field.name} needs ${expected}`);
  }
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return decodeMessage(t, r.bytes(), path);
  return readScalar(field.type, r);
}

function readMapEntry(field: protobuf.Field & { keyType: string }, bytes: Uint8Array, path: string): [string, unknown] {
  const r = protobuf.Reader.create(bytes);
  let key = '';
  let value: unknown;
  while (r.pos < r.len) {
    const tag = r.uint32();
    const id = tag >>> 3;
    if (id === 1) {
      if ((tag & 7) !== 2 || field.keyType !== 'string') throw new ProtobufDecodeError(`${path}: map key is not a string`);
      key = utf8.decode(r.bytes());
    } else if (id === 2) {
      value = readValue(field, tag & 7, r, `${path}[…]`);
    } else {
      throw new ProtobufDecodeError(`${path}: map entry has unexpected field ${id}`);
    }
  }
  // gogo omits a nil value; Go reads it back as the zero value.
  if (value === undefined) {
    const t = field.resolvedType;
    value = t instanceof protobuf.Type ? decodeMessage(t, new Uint8Array(0), `${path}.${key}`) : field.type === 'bytes' ? '' : zeroScalar(field.type);
  }
  return [key, value];
}

/** Wire fields of one message, keyed by field name, before the JSON rules. */
function readFields(type: protobuf.Type, bytes: Uint8Array, path: string): Map<string, unknown> {
  const r = protobuf.Reader.create(bytes);
  const out = new Map<string, unknown>();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wt = tag & 7;
    const field = type.fieldsById[id];
    if (field === undefined) {
      throw new ProtobufDecodeError(
        `${path || '<root>'}: field ${id} of ${type.fullName.slice(1)} is not in Skiff's protobuf schema; send this object as application/json`,
      );
    }
    const fpath = path ? `${path}.${field.name}` : field.name;
    if (field.map) {
      if (wt !== 2) throw new ProtobufDecodeError(`${fpath}: map entry with wire type ${wt}`);
      const entries = (out.get(field.name) ?? {}) as Record<string, unknown>;
      const [k, v] = readMapEntry(field as protobuf.Field & { keyType: string }, r.bytes(), fpath);
      entries[k] = v;
      out.set(field.name, entries);
    } else if (field.repeated) {
      const list = (out.get(field.name) ?? []) as unknown[];
      const itemPath = `${fpath}[${list.length}]`;
      if (wt === 2 && wireTypeOf(field) !== 2) {
        // Packed scalars: gogo writes proto2 repeated scalars unpacked, but
        // a proto3-minded client may pack them.
        const end = r.uint32() + r.pos;
        while (r.pos < end) list.push(readScalar(field.type, r));
      } else {
        list.push(readValue(field, wt, r, itemPath));
      }
      out.set(field.name, list);
    } else {
      out.set(field.name, readValue(field, wt, r, fpath));
    }
  }
  return out;
}

function zeroScalar(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return null; // a nil []byte marshals as null
  return 0;
}

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false;

/** Decodes one message into its Kubernetes JSON form. */
function decodeMessage(type: protobuf.Type, bytes: Uint8Array, path: string): unknown {
  const special = SPECIAL[type.fullName];
  const values = readFields(type, bytes, path);
  if (special !== undefined) return special(values, bytes.length, path);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const present = values.has(field.name);
    const value = values.get(field.name);
    if (opt(field, 'inline')) {
      const t = field.resolvedType as protobuf.Type;
      Object.assign(out, present ? value : decodeMessage(t, new Uint8Array(0), path));
      continue;
    }
    if (!present) {
      if (!opt(field, 'always')) continue;
      const scalar = !field.repeated && !field.map && !(field.resolvedType instanceof protobuf.Type);
      out[field.name] = scalar && !opt(field, 'ptr') ? zeroScalar(field.type) : null;
      continue;
    }
    const scalar = !field.repeated && !field.map && !(field.resolvedType instanceof protobuf.Type);
    if (scalar && isZero(value) && !opt(field, 'ptr') && !opt(field, 'always')) continue;
    out[field.name] = value;
  }
  return out;
}

type Special = (values: Map<string, unknown>, length: number, path: string) => unknown;

const GO_ZERO_TIME_SECONDS = -62135596800; // 0001-01-01T00:00:00Z

function rfc3339(seconds: number, micros: number | undefined, path: string): string | null {
  if (seconds === GO_ZERO_TIME_SECONDS && !micros) return null;
  const d = new Date(seconds * 1000);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 0 || year > 9999) {
    throw new ProtobufDecodeError(`${path}: time ${seconds}s is outside the years 0000-9999`);
  }
  const iso = d.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  return micros === undefined ? `${iso}Z` : `${iso}.${String(micros).padStart(6, '0')}Z`;
}

function parseEmbeddedJSON(raw: unknown, path: string): unknown {
  if (!(typeof raw === 'string') || raw === '') return null;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProtobufDecodeError(`${path}: embedded raw object is not JSON`);
  }
}

// Types whose Go JSON form is not their proto message shape.
const SPECIAL: Record<string, Special> = {
  // metav1.Time keeps whole seconds only; an empty message is the zero time,
  // which encodes as null (hence `creationTimestamp: null`).
  '.meta.v1.Time': (v, length, path) => (length === 0 ? null : rfc3339(Number(v.get('seconds') ?? 0), undefined, path)),
  '.meta.v1.MicroTime': (v, length, path) =>
    length === 0 ? null : rfc3339(Number(v.get('seconds') ?? 0), Math.floor(Number(v.get('nanos') ?? 0) / 1000), path),
  '.meta.v1.FieldsV1': (v, _l, path) => parseEmbeddedJSON(v.get('Raw'), path),
  '.runtime.RawExtension': (v, _l, path) => parseEmbeddedJSON(v.get('raw'), path),
  '.resource.Quantity': (v) => {
    const s = v.get('string');
    return typeof s === 'string' && s !== '' ? s : '0';
  },
  // A user's extra values ([]string) travel wrapped in a message.
  '.certificates.v1.ExtraValue': (v) => v.get('items') ?? [],
  '.intstr.IntOrString': (v) => (Number(v.get('type') ?? 0) === 1 ? (v.get('strVal') ?? '') : (v.get('intVal') ?? 0)),
};
