// Validation helpers shared by the core/v1 resources (and reusable by other groups): port
// numbers and names, IPs, resource quantities, env var names — each with the wording of
// Kubernetes' apimachinery validation so messages match what kubectl users know.
import { isIP } from 'node:net';
import type { FieldError, FieldErrorType } from '../types.js';
import { fieldErr, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from '../validation.js';

/** Kubernetes' field.NotFound. The shared FieldErrorType union lacks it, but the wire reason must say so. */
export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound' as unknown as FieldErrorType, field, message: `Not found: ${JSON.stringify(value)}` };
}

/** Kubernetes' field.TooMany. */
export function tooMany(field: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} items` };
}

/** Kubernetes' field.Duplicate with a detail, as used for taints. */
export function duplicateWithDetail(field: string, value: string, detail: string): FieldError {
  return { type: 'FieldValueDuplicate', field, message: `Duplicate value: ${value}: ${detail}` };
}

/** field.Invalid for a []string value, which Go prints as []string{"a", "b"}. */
export function invalidStrings(field: string, values: unknown[], detail: string): FieldError {
  const shown = values.length ? `[]string{${values.map((v) => JSON.stringify(String(v))).join(', ')}}` : '[]string(nil)';
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${shown}: ${detail}` };
}

function messagesAt(path: string, value: string, msgs: string[]): FieldError[] {
  return msgs.map((m) => fieldErr.invalid(path, value, m));
}

export const validateDNS1123Label = (v: string, path: string) => messagesAt(path, v, isDNS1123Label(v));
export const validateDNS1123Subdomain = (v: string, path: string) => messagesAt(path, v, isDNS1123Subdomain(v));
export const validateQualifiedName = (v: string, path: string) => messagesAt(path, v, isQualifiedName(v));

export const PORT_RANGE_MSG = 'must be between 1 and 65535, inclusive';

export function isValidPortNum(port: unknown): boolean {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Messages for an IANA_SVC_NAME port name (containers, services, endpoints). */
export function isValidPortName(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) errs.push('must contain at least one letter (a-z)');
  if (name.includes('--')) errs.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function validatePortNum(port: unknown, path: string): FieldError[] {
  return isValidPortNum(port) ? [] : [fieldErr.invalid(path, port, PORT_RANGE_MSG)];
}

/** An IntOrString port: a number in range or a valid port name. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return validatePortNum(port, path);
  if (typeof port === 'string') {
    if (port === '') return [fieldErr.required(path)];
    if (/^\d+$/.test(port)) return validatePortNum(Number(port), path);
    return messagesAt(path, port, isValidPortName(port));
  }
  return [fieldErr.required(path)];
}

export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function validateProtocol(protocol: unknown, path: string): FieldError[] {
  if (protocol === undefined || protocol === null || protocol === '') return [fieldErr.required(path)];
  return PROTOCOLS.includes(protocol as string) ? [] : [fieldErr.notSupported(path, protocol, PROTOCOLS)];
}

/** A value from a fixed set; empty is Required (after defaulting, empty means the client cleared it). */
export function validateEnum(value: unknown, path: string, allowed: string[], required = true): FieldError[] {
  if (value === undefined || value === null || value === '') return required ? [fieldErr.required(path)] : [];
  return allowed.includes(value as string) ? [] : [fieldErr.notSupported(path, value, allowed)];
}

export const IP_MSG = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export function isValidIP(ip: unknown): ip is string {
  return typeof ip === 'string' && isIP(ip) !== 0;
}

export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' {
  return isIP(ip) === 6 ? 'IPv6' : 'IPv4';
}

/** Endpoint addresses may not be special-purpose addresses (ValidateNonSpecialIP). */
export function validateNonSpecialIP(ip: string, path: string): FieldError[] {
  if (!isValidIP(ip)) return [];
  const v6 = isIP(ip) === 6;
  const lower = ip.toLowerCase();
  if (ip === '0.0.0.0' || lower === '::') return [fieldErr.invalid(path, ip, 'may not be unspecified (0.0.0.0)')];
  if ((!v6 && ip.startsWith('127.')) || lower === '::1') return [fieldErr.invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)')];
  if ((!v6 && ip.startsWith('169.254.')) || /^fe[89ab]/.test(lower))
    return [fieldErr.invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)')];
  if ((!v6 && ip.startsWith('224.0.0.')) || lower.startsWith('ff02:'))
    return [fieldErr.invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)')];
  return [];
}

export function isValidCIDR(cidr: unknown): boolean {
  if (typeof cidr !== 'string') return false;
  const [ip, bits, ...rest] = cidr.split('/');
  if (rest.length || bits === undefined || !/^\d+$/.test(bits) || !isValidIP(ip)) return false;
  return Number(bits) <= (isIP(ip!) === 6 ? 128 : 32);
}

// ---- resource quantities ----

const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
export const QUANTITY_MSG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * A quantity ("100m", "1Gi", "1e3") as an exact integer count of nano-units, rounded up
 * like Kubernetes rounds sub-nano precision; null when the string is not a quantity.
 */
export function parseQuantity(q: unknown): bigint | null {
  if (typeof q === 'number' && Number.isFinite(q)) q = String(q);
  if (typeof q !== 'string') return null;
  // The same few quantities come back on every write of a pod: parsed once each.
  const hit = parsedQuantities.get(q);
  if (hit !== undefined) return hit;
  const v = parseQuantityText(q);
  if (parsedQuantities.size >= 4096) parsedQuantities.clear();
  parsedQuantities.set(q, v);
  return v;
}

const parsedQuantities = new Map<string, bigint | null>();

function parseQuantityText(q: string): bigint | null {
  const m = QUANTITY_RE.exec(q);
  if (!m) return null;
  const [, num, suffix] = m as unknown as [string, string, string];
  if ((num.match(/\./g) ?? []).length > 1 || !/[0-9]/.test(num)) return null;
  let mult2 = 0;
  let exp10 = 0;
  if (suffix in BINARY) mult2 = BINARY[suffix]!;
  else if (suffix in DECIMAL) exp10 = DECIMAL[suffix]!;
  else if (/^[eE][-+]?[0-9]+$/.test(suffix)) exp10 = Number(suffix.slice(1));
  else return null;
  const neg = num.startsWith('-');
  const digits = num.replace(/^[+-]/, '');
  const [intPart = '', frac = ''] = digits.split('.');
  // value = (int.frac) * 10^exp10 * 2^mult2, expressed in units of 1e-9
  let mantissa = BigInt((intPart || '0') + frac);
  const scale = exp10 + 9 - frac.length;
  mantissa *= 1n << BigInt(mult2);
  let result: bigint;
  if (scale >= 0) result = mantissa * 10n ** BigInt(scale);
  else {
    const d = 10n ** BigInt(-scale);
    result = mantissa / d + (mantissa % d === 0n ? 0n : 1n);
  }
  return neg ? -result : result;
}

export function compareQuantity(a: unknown, b: unknown): number {
  const x = parseQuantity(a) ?? 0n;
  const y = parseQuantity(b) ?? 0n;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function validateNonNegativeQuantity(q: unknown, path: string): FieldError[] {
  const v = parseQuantity(q);
  if (v === null) return [fieldErr.invalid(path, q, QUANTITY_MSG)];
  return v < 0n ? [fieldErr.invalid(path, String(q), 'must be greater than or equal to 0')] : [];
}

export function validatePositiveQuantity(q: unknown, path: string): FieldError[] {
  const v = parseQuantity(q);
  if (v === null) return [fieldErr.invalid(path, q, QUANTITY_MSG)];
  return v <= 0n ? [fieldErr.invalid(path, String(q), 'must be greater than zero')] : [];
}

// ---- resource names ----

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const INTEGER_RESOURCES = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

export const isHugePageResource = (name: string) => name.startsWith('hugepages-');
/** Native resources live in no domain or in kubernetes.io; extended resources elsewhere. */
export const isNativeResource = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
/** Requests may be below limits only for native, non-hugepage resources. */
export const isOvercommitAllowed = (name: string) => isNativeResource(name) && !isHugePageResource(name);

/** A container resource name: cpu, memory, ephemeral-storage, hugepages-*, or domain/name. */
export function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = messagesAt(path, name, isQualifiedName(name));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePageResource(name))
      errs.push(fieldErr.invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length)) {
    errs.push(fieldErr.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuantityValue: non-negative, and whole numbers for integer resources. */
export function validateResourceQuantity(name: string, q: unknown, path: string): FieldError[] {
  const errs = validateNonNegativeQuantity(q, path);
  if (errs.length) return errs;
  const bare = name.replace(/^(requests|limits)\./, '');
  if ((INTEGER_RESOURCES.has(bare) || !isNativeResource(name)) && parseQuantity(q)! % 1_000_000_000n !== 0n)
    errs.push(fieldErr.invalid(path, String(q), 'must be an integer'));
  return errs;
}

// ---- env ----

const ENV_NAME_RE = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function chDirPrefix(v: string): string[] {
  if (v === '.') return ["must not be '.'"];
  if (v === '..') return ["must not be '..'"];
  if (v.startsWith('..')) return ["must not start with '..'"];
  return [];
}

export function isEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (!ENV_NAME_RE.test(v))
    errs.push(
      "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    );
  return [...errs, ...chDirPrefix(v)];
}

/** IsConfigMapKey: keys of secrets, configmaps, and projected items. */
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!/^[-._a-zA-Z0-9]+$/.test(v))
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  return [...errs, ...chDirPrefix(v)];
}

// ---- misc ----

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): any[] => (Array.isArray(v) ? v : []);

/** Non-negative integer (ValidateNonnegativeField). */
export function validateNonNegativeInt(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v !== 'number' || !Number.isInteger(v)) return [fieldErr.typeInvalid(path, v, 'must be an integer')];
  return v < 0 ? [fieldErr.invalid(path, v, 'must be greater than or equal to 0')] : [];
}

/** `k=v,k2=v2` sorted by key, `<none>` when empty — labels.FormatLabels. */
export function formatLabelsSorted(m: Record<string, string> | undefined | null): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${m![k]}`).join(',') : '<none>';
}

/** Selector string for a map selector, as labels.SelectorFromSet(...).String() (sorted, empty for none). */
export function selectorString(m: Record<string, string> | undefined | null): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${m![k]}`)
    .join(',');
}

/**
 * Lines naming where two JSON values differ (`path: old -> new`), standing in for the Go
 * cmp.Diff that Kubernetes appends to some Forbidden messages.
 */
export function jsonDiff(a: unknown, b: unknown, path = '', out: string[] = [], limit = 20): string[] {
  if (out.length >= limit) return out;
  const same = JSON.stringify(a) === JSON.stringify(b);
  if (same) return out;
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => {
      jsonDiff(x, b[i], `${path}[${i}]`, out, limit);
    });
    return out;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) jsonDiff(a[k], b[k], path ? `${path}.${k}` : k, out, limit);
    return out;
  }
  out.push(`  ${path || '.'}: ${JSON.stringify(a) ?? 'null'} -> ${JSON.stringify(b) ?? 'null'}`);
  return out;
}
