// Types whose JSON form is not the shape of their protobuf message: Kubernetes gives them
// their own JSON (un)marshallers. Each maps the message's fields (by name, nested messages
// already in JSON form) to the JSON value, and back.

import { formatGoDuration, parseGoDuration } from '../../util/go-duration.js';

export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

export class ProtobufEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufEncodeError';
  }
}

export interface JsonForm {
  /** `fields` holds what was on the wire; `length` is the message's byte length (0: the zero value). */
  decode(fields: Map<string, unknown>, length: number, path: string): unknown;
  /** The message's field values for a JSON value; absent fields are not written. */
  encode(value: unknown, path: string): Record<string, unknown>;
}

const GO_ZERO_TIME_SECONDS = -62135596800; // 0001-01-01T00:00:00Z, what Go writes for a zero time.Time

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

function parseTime(value: unknown, path: string): Record<string, unknown> {
  if (value === null || value === undefined || value === '') return {};
  if (typeof value !== 'string') throw new ProtobufEncodeError(`${path}: a time must be an RFC 3339 string`);
  // The objects of one list carry a handful of distinct times (creation, a scrape's, a
  // status's), interleaved from field to field: a few recent ones are kept parsed.
  let t = recentTimes.get(value);
  if (t === undefined) {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new ProtobufEncodeError(`${path}: "${value}" is not an RFC 3339 time`);
    const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
    t = { seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
    if (recentTimes.size >= RECENT_TIMES_LIMIT) recentTimes.clear();
    recentTimes.set(value, t);
  }
  return { seconds: t.seconds, nanos: t.nanos };
}
const RECENT_TIMES_LIMIT = 256;
const recentTimes = new Map<string, { readonly seconds: number; readonly nanos: number }>();

function rawJson(raw: unknown, path: string): unknown {
  if (typeof raw !== 'string' || raw === '') return null;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProtobufDecodeError(`${path}: embedded raw object is not JSON`);
  }
}

const toRaw = (value: unknown): Record<string, unknown> =>
  value === undefined || value === null ? {} : { raw: Buffer.from(JSON.stringify(value)).toString('base64') };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const AX = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';

const lastDuration = { text: '', nanos: 0 };

/** By definition name. */
export const JSON_FORMS: Readonly<Record<string, JsonForm>> = {
  // metav1.Time keeps whole seconds; an empty message is the zero time, which is JSON null.
  [`${META}Time`]: {
    decode: (f, length, path) => (length === 0 ? null : rfc3339(Number(f.get('seconds') ?? 0), undefined, path)),
    encode: (v, path) => {
      const t = parseTime(v, path);
      return 'seconds' in t ? { seconds: t.seconds } : t;
    },
  },
  [`${META}MicroTime`]: {
    decode: (f, length, path) => (length === 0 ? null : rfc3339(Number(f.get('seconds') ?? 0), Math.floor(Number(f.get('nanos') ?? 0) / 1000), path)),
    encode: (v, path) => {
      const t = parseTime(v, path);
      return 'nanos' in t ? { ...t, nanos: Math.floor(Number(t.nanos) / 1000) * 1000 } : t;
    },
  },
  // metav1.Duration: nanoseconds on the wire, Go's duration text ("15.002s") in JSON.
  [`${META}Duration`]: {
    decode: (f) => formatGoDuration(Number(f.get('duration') ?? 0)),
    encode: (v, path) => {
      if (v === undefined || v === null) return {};
      if (typeof v !== 'string') throw new ProtobufEncodeError(`${path}: a duration must be a string such as "15s"`);
      if (v === lastDuration.text) return { duration: lastDuration.nanos };
      try {
        lastDuration.nanos = parseGoDuration(v);
        lastDuration.text = v;
        return { duration: lastDuration.nanos };
      } catch (err) {
        throw new ProtobufEncodeError(`${path}: ${(err as Error).message}`);
      }
    },
  },
  [`${META}FieldsV1`]: {
    decode: (f, _l, path) => rawJson(f.get('Raw'), path),
    encode: (v) => {
      const r = toRaw(v);
      return 'raw' in r ? { Raw: r.raw } : {};
    },
  },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { decode: (f, _l, path) => rawJson(f.get('raw'), path), encode: toRaw },
  [`${AX}JSON`]: { decode: (f, _l, path) => rawJson(f.get('raw'), path), encode: toRaw },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    decode: (f) => {
      const s = f.get('string');
      return typeof s === 'string' && s !== '' ? s : '0';
    },
    encode: (v) => (v === undefined || v === null ? {} : { string: String(v) }),
  },
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    decode: (f) => (Number(f.get('type') ?? 0) === 1 ? (f.get('strVal') ?? '') : (f.get('intVal') ?? 0)),
    encode: (v, path) => {
      if (typeof v === 'string') return { type: 1, intVal: 0, strVal: v };
      if (typeof v === 'number' && Number.isInteger(v)) return { type: 0, intVal: v, strVal: '' };
      if (v === undefined || v === null) return {};
      throw new ProtobufEncodeError(`${path}: an int-or-string must be an integer or a string`);
    },
  },
  // CRD schemas: a schema or a list of schemas, a schema or a boolean, a schema or a list of names.
  [`${AX}JSONSchemaPropsOrArray`]: {
    decode: (f) => f.get('jSONSchemas') ?? f.get('schema') ?? null,
    encode: (v) => (Array.isArray(v) ? { jSONSchemas: v } : isObject(v) ? { schema: v } : {}),
  },
  [`${AX}JSONSchemaPropsOrBool`]: {
    decode: (f) => f.get('schema') ?? f.get('allows') ?? false,
    encode: (v) => (isObject(v) ? { allows: true, schema: v } : { allows: v === true }),
  },
  [`${AX}JSONSchemaPropsOrStringArray`]: {
    decode: (f) => f.get('property') ?? f.get('schema') ?? null,
    encode: (v) => (Array.isArray(v) ? { property: v } : isObject(v) ? { schema: v } : {}),
  },
};
