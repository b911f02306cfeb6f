// Validation of custom objects against a version's openAPIV3Schema with ajv. The CRD's
// OpenAPI v3.0 dialect (nullable, boolean exclusive bounds, x-kubernetes-int-or-string)
// is translated to JSON Schema first; ajv's errors are translated back into the field
// errors Kubernetes reports (the kube-openapi wording: "spec.x in body must be of type …").
import { isIP } from 'node:net';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { FieldError, KObject } from '../../api/types.js';
import { fieldErr } from '../../api/validation.js';
import type { Schema } from './schema.js';

const KEEP = [
  'format',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'multipleOf',
  'minProperties',
  'maxProperties',
  'required',
];

/** OpenAPI v3.0 (as CRDs write it) → JSON Schema draft-07 for ajv. */
export function toJsonSchema(s: Schema): Schema {
  if (!s || typeof s !== 'object') return {};
  const out: Schema = {};
  for (const k of KEEP) if (s[k] !== undefined) out[k] = s[k];
  if (s['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  else if (typeof s.type === 'string' && s.type) out.type = s.nullable === true ? [s.type, 'null'] : s.type;
  if (s.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (s.exclusiveMinimum === true && s.minimum !== undefined) {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum === true && s.maximum !== undefined) {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (s.properties && typeof s.properties === 'object') {
    out.properties = {};
    for (const [k, v] of Object.entries(s.properties)) out.properties[k] = toJsonSchema(v as Schema);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.additionalProperties = toJsonSchema(s.additionalProperties);
  if (s.items && typeof s.items === 'object' && !Array.isArray(s.items)) out.items = toJsonSchema(s.items);
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) if (Array.isArray(s[k])) out[k] = s[k].map((x: Schema) => toJsonSchema(x));
  if (s.not && typeof s.not === 'object') out.not = toJsonSchema(s.not);
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const GO_DURATION = /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$/;

function ajvFor(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false, unicodeRegExp: false, validateFormats: true });
  const formats: Record<string, (v: string) => boolean> = {
    'date-time': (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v.replace(' ', 'T'))),
    datetime: (v) => RFC3339.test(v),
    date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
    uuid: (v) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v),
    byte: (v) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v),
    ipv4: (v) => isIP(v) === 4,
    ipv6: (v) => isIP(v) === 6,
    cidr: (v) => {
      const [ip, bits, ...rest] = v.split('/');
      const fam = isIP(ip ?? '');
      return rest.length === 0 && fam !== 0 && /^\d+$/.test(bits ?? '') && Number(bits) <= (fam === 4 ? 32 : 128);
    },
    mac: (v) => /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i.test(v),
    hostname: (v) => v.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(v),
    email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
    uri: (v) => {
      try {
        return !!new URL(v).protocol;
      } catch {
        return false;
      }
    },
    duration: (v) => GO_DURATION.test(v),
  };
  for (const [name, fn] of Object.entries(formats)) ajv.addFormat(name, { type: 'string', validate: fn });
  for (const name of ['int32', 'int64']) ajv.addFormat(name, { type: 'number', validate: () => true });
  for (const name of ['float', 'double']) ajv.addFormat(name, { type: 'number', validate: () => true });
  ajv.addFormat('password', () => true);
  return ajv;
}

let shared: Ajv | undefined;

/** Go's type names for a JSON value, as kube-openapi reports them. */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** JSON pointer → Kubernetes field path: spec.items[0].name */
function fieldPath(pointer: string, root: unknown): { path: string; value: unknown } {
  let path = '';
  let cur: any = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path += Array.isArray(cur) ? `[${seg}]` : path ? `.${seg}` : seg;
    cur = cur?.[seg];
  }
  return { path, value: cur };
}

function toFieldError(e: ErrorObject, root: unknown): FieldError | undefined {
  const { path, value } = fieldPath(e.instancePath, root);
  const name = path || '<nil>';
  const p: any = e.params;
  switch (e.keyword) {
    case 'required': {
      const child = path ? `${path}.${p.missingProperty}` : p.missingProperty;
      return fieldErr.required(child);
    }
    case 'type': {
      const want = String(p.type)
        .split(',')
        .filter((t) => t !== 'null')
        .join(',');
      return fieldErr.typeInvalid(name, value ?? '', `${name} in body must be of type ${want}: "${typeName(value)}"`);
    }
    case 'enum':
      return fieldErr.notSupported(
        name,
        value,
        (p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
      );
    case 'minimum':
      return fieldErr.invalid(name, value, `${name} in body should be greater than or equal to ${p.limit}`);
    case 'exclusiveMinimum':
      return fieldErr.invalid(name, value, `${name} in body should be greater than ${p.limit}`);
    case 'maximum':
      return fieldErr.invalid(name, value, `${name} in body should be less than or equal to ${p.limit}`);
    case 'exclusiveMaximum':
      return fieldErr.invalid(name, value, `${name} in body should be less than ${p.limit}`);
    case 'minLength':
      return fieldErr.invalid(name, value, `${name} in body should be at least ${p.limit} chars long`);
    case 'maxLength':
      return fieldErr.tooLong(name, value, p.limit);
    case 'pattern':
      return fieldErr.invalid(name, value, `${name} in body should match '${p.pattern}'`);
    case 'format':
      return fieldErr.invalid(name, value, `${name} in body must be of type ${p.format}: ${JSON.stringify(value)}`);
    case 'minItems':
      return fieldErr.invalid(name, value, `${name} in body should have at least ${p.limit} items`);
    case 'maxItems':
    case 'maxProperties': {
      const n = Array.isArray(value) ? value.length : value && typeof value === 'object' ? Object.keys(value).length : 0;
      return { type: 'FieldValueTooMany', field: name, message: `Too many: ${n}: must have at most ${p.limit} items` };
    }
    case 'minProperties':
      return fieldErr.invalid(name, value, `${name} in body should have at least ${p.limit} properties`);
    case 'uniqueItems':
      return fieldErr.invalid(name, value, `${name} in body shouldn't contain duplicates`);
    case 'multipleOf':
      return fieldErr.invalid(name, value, `${name} in body should be a multiple of ${p.multipleOf}`);
    case 'anyOf':
      return fieldErr.invalid(name, value, `${name} in body must validate at least one schema (anyOf)`);
    case 'oneOf':
      return fieldErr.invalid(name, value, `${name} in body must validate one and only one schema (oneOf)`);
    case 'not':
      return fieldErr.invalid(name, value, `${name} in body must not validate the schema (not)`);
    default:
      return fieldErr.invalid(name, value, `${name} in body ${e.message ?? 'is invalid'}`);
  }
}

/** Errors beneath a failed anyOf/oneOf/not only explain it: report the combinator once. */
function dropNested(errs: ErrorObject[]): ErrorObject[] {
  const combinators = errs.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'not').map((e) => e.schemaPath);
  return errs.filter((e) => !combinators.some((c) => e.schemaPath !== c && e.schemaPath.startsWith(`${c}/`)));
}

/** Embedded resources must name their kind: apiVersion and kind are required there. */
function embeddedErrors(value: unknown, s: Schema | undefined, path: string, out: FieldError[]): void {
  if (!s || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      embeddedErrors(v, s.items, `${path}[${i}]`, out);
    });
    return;
  }
  const obj = value as Record<string, unknown>;
  if (s['x-kubernetes-embedded-resource'] === true) {
    if (!obj.apiVersion) out.push(fieldErr.required(`${path}.apiVersion`, 'must not be empty'));
    if (!obj.kind) out.push(fieldErr.required(`${path}.kind`, 'must not be empty'));
  }
  for (const [k, v] of Object.entries(obj)) {
    const child = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (child) embeddedErrors(v, child, path ? `${path}.${k}` : k, out);
  }
}

export class SchemaValidator {
  private readonly fn: ValidateFunction;
  private readonly hasEmbedded: boolean;

  constructor(private readonly root: Schema) {
    const js = toJsonSchema(root);
    // metadata is ObjectMeta, validated by the generic metadata rules; the schema may only narrow name.
    if (js.properties?.metadata) js.properties.metadata = { type: 'object' };
    shared ??= ajvFor();
    this.fn = shared.compile(js);
    this.hasEmbedded = JSON.stringify(root).includes('"x-kubernetes-embedded-resource":true');
  }

  validate(obj: KObject): FieldError[] {
    const errs: FieldError[] = [];
    if (!this.fn(obj))
      for (const e of dropNested(this.fn.errors ?? [])) {
        const fe = toFieldError(e, obj);
        if (fe && !errs.some((x) => x.field === fe.field && x.message === fe.message)) errs.push(fe);
      }
    if (this.hasEmbedded) for (const [k, v] of Object.entries(obj)) if (k !== 'metadata') embeddedErrors(v, this.root.properties?.[k], k, errs);
    return errs;
  }
}
