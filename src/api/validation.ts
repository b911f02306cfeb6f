// Validation helpers shared by every API group, with Kubernetes' own wording so that
// kubectl users see the messages they know.
import type { FieldError } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function maxLen(value: string, n: number): string[] {
  return value.length > n ? [`must be no more than ${n} characters`] : [];
}

/** Messages for a value that must be an RFC 1123 label (≤ 63). Empty array: valid. */
export function isDNS1123Label(v: string): string[] {
  const errs = maxLen(v, 63);
  if (!DNS1123_LABEL.test(v)) errs.push(DNS1123_LABEL_MSG);
  return errs;
}

/** Messages for a value that must be an RFC 1123 subdomain (≤ 253). */
export function isDNS1123Subdomain(v: string): string[] {
  const errs = maxLen(v, 253);
  if (!DNS1123_SUBDOMAIN.test(v)) errs.push(DNS1123_SUBDOMAIN_MSG);
  return errs;
}

/** Messages for a value that must be an RFC 1035 label (Service names). */
export function isDNS1035Label(v: string): string[] {
  const errs = maxLen(v, 63);
  if (!DNS1035_LABEL.test(v)) errs.push(DNS1035_LABEL_MSG);
  return errs;
}

/** Messages for a qualified name such as a label key: optional DNS subdomain prefix, '/', name. */
export function isQualifiedName(v: string): string[] {
  const parts = v.split('/');
  let name = v;
  const errs: string[] = [];
  if (parts.length === 2) {
    const [prefix, n] = parts;
    name = n!;
    if (prefix!.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix!)) errs.push(`prefix part ${m}`);
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else {
    if (name.length > 63) errs.push('name part must be no more than 63 characters');
    if (!QUALIFIED_NAME.test(name)) errs.push(QUALIFIED_NAME_MSG);
  }
  return errs;
}

export function isLabelValue(v: string): string[] {
  const errs = maxLen(v, 63);
  if (!LABEL_VALUE.test(v)) errs.push(LABEL_VALUE_MSG);
  return errs;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// Constructors mirroring field.Invalid, field.Required, … of Kubernetes.
export const fieldErr = {
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}${detail ? `: ${detail}` : ''}` };
  },
  required(field: string, detail = ''): FieldError {
    return { type: 'FieldValueRequired', field, message: `Required value${detail ? `: ${detail}` : ''}` };
  },
  notSupported(field: string, value: unknown, supported: string[]): FieldError {
    const list = supported.map((s) => JSON.stringify(s)).join(', ');
    return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${show(value)}: supported values: ${list}` };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${show(value)}` };
  },
  forbidden(field: string, detail: string): FieldError {
    return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
  tooLong(field: string, _value: unknown, max: number): FieldError {
    return { type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
  },
  typeInvalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueTypeInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` };
  },
};

/** The message Kubernetes uses for a field that may not change after creation. */
export const IMMUTABLE = 'field is immutable';

/** Validates labels: keys are qualified names, values label values. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [fieldErr.typeInvalid(path, labels, 'must be a map of string to string')];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const m of isQualifiedName(k)) errs.push(fieldErr.invalid(path, k, m));
    if (typeof v !== 'string') errs.push(fieldErr.typeInvalid(`${path}.${k}`, v, 'must be a string'));
    else for (const m of isLabelValue(v)) errs.push(fieldErr.invalid(path, v, m));
  }
  return errs;
}

/** Annotations: keys are qualified names (lower-cased), total size ≤ 256 KiB. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (annotations === undefined || annotations === null) return [];
  if (typeof annotations !== 'object' || Array.isArray(annotations)) return [fieldErr.typeInvalid(path, annotations, 'must be a map of string to string')];
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations as Record<string, unknown>)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(path, k, m));
    if (typeof v !== 'string') errs.push(fieldErr.typeInvalid(`${path}.${k}`, v, 'must be a string'));
    else size += k.length + v.length;
  }
  if (size > 256 * 1024) errs.push(fieldErr.tooLong(path, '', 256 * 1024));
  return errs;
}

/** A non-negative integer field, when present. */
export function validateNonNegative(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'number' || !Number.isInteger(value)) return [fieldErr.typeInvalid(path, value, 'must be an integer')];
  return value < 0 ? [fieldErr.invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** A label selector (metav1.LabelSelector) as used in specs. */
export function validateLabelSelector(sel: unknown, path: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  if (typeof sel !== 'object') return [fieldErr.typeInvalid(path, sel, 'must be an object')];
  const s = sel as { matchLabels?: unknown; matchExpressions?: unknown };
  const errs = validateLabels(s.matchLabels, `${path}.matchLabels`);
  if (s.matchExpressions !== undefined) {
    if (!Array.isArray(s.matchExpressions)) return [...errs, fieldErr.typeInvalid(`${path}.matchExpressions`, s.matchExpressions, 'must be a list')];
    s.matchExpressions.forEach((e: any, i: number) => {
      const p = `${path}.matchExpressions[${i}]`;
      const ops = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
      if (!ops.includes(e?.operator)) errs.push(fieldErr.notSupported(`${p}.operator`, e?.operator, ops));
      else if ((e.operator === 'In' || e.operator === 'NotIn') && !(Array.isArray(e.values) && e.values.length > 0))
        errs.push(fieldErr.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && Array.isArray(e.values) && e.values.length > 0)
        errs.push(fieldErr.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      if (typeof e?.key !== 'string') errs.push(fieldErr.required(`${p}.key`));
      else for (const m of isQualifiedName(e.key)) errs.push(fieldErr.invalid(`${p}.key`, e.key, m));
    });
  }
  return errs;
}

/** True when every matchLabels/matchExpressions term of `sel` matches `labels`. */
export function selectorMatches(
  sel: { matchLabels?: Record<string, string>; matchExpressions?: any[] } | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Deep equality of two JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as any)[k], (b as any)[k]));
}

/** Helper for immutable fields: an error when old and new differ. */
export function immutable(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return jsonEqual(newVal, oldVal) ? [] : [fieldErr.invalid(path, newVal, IMMUTABLE)];
}

export type { FieldError };
