import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { IMMUTABLE, fieldErr, jsonEqual } from '../validation.js';
import { isConfigMapKey, isObject } from './validate-helpers.js';

const MAX_SECRET_SIZE = 1024 * 1024;
const B64 = /^[A-Za-z0-9+/]$/;
const isNewline = (c: string | undefined) => c === '\r' || c === '\n';

/**
 * Where a strict, padded base64 decoder (Go's StdEncoding, which the apiserver uses for
 * []byte fields) rejects `s`: "illegal base64 data at input byte N"; null when valid.
 */
export function base64Error(s: string): string | null {
  const err = (n: number) => `illegal base64 data at input byte ${n}`;
  let si = 0;
  while (si < s.length) {
    let j = 0;
    for (; j < 4; j++) {
      if (si === s.length) {
        if (j === 0) return null;
        return err(si - j);
      }
      const c = s[si++]!;
      if (B64.test(c)) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== '=') return err(si - 1);
      if (j < 2) return err(si - 1);
      if (j === 2) {
        while (si < s.length && isNewline(s[si])) si++;
        if (si === s.length) return err(s.length);
        if (s[si] !== '=') return err(si - 1);
        si++;
      }
      while (si < s.length && isNewline(s[si])) si++;
      return si < s.length ? err(si) : null;
    }
  }
  return null;
}

/** Key checks for a type's required data entries. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.key', 'tls.crt'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
};

function validateTypeSpecific(s: KObject, data: Record<string, string>): FieldError[] {
  const errs: FieldError[] = [];
  const type = s.type;
  if (type === 'kubernetes.io/service-account-token') {
    if (!s.metadata?.annotations?.['kubernetes.io/service-account.name'])
      errs.push(fieldErr.required('metadata.annotations[kubernetes.io/service-account.name]'));
  } else if (type === 'kubernetes.io/basic-auth') {
    if (!('username' in data) && !('password' in data)) {
      errs.push(fieldErr.required('data[username]'), fieldErr.required('data[password]'));
    }
  } else if (REQUIRED_KEYS[type]) {
    for (const k of REQUIRED_KEYS[type]!) if (!(k in data)) errs.push(fieldErr.required(`data[${k}]`));
  }
  for (const k of ['.dockercfg', '.dockerconfigjson']) {
    const want = k === '.dockercfg' ? 'kubernetes.io/dockercfg' : 'kubernetes.io/dockerconfigjson';
    if (type !== want || !(k in data) || base64Error(data[k]!)) continue;
    try {
      JSON.parse(Buffer.from(data[k]!, 'base64').toString('utf8'));
    } catch (e) {
      errs.push(fieldErr.invalid(`data[${k}]`, '<secret contents redacted>', (e as Error).message));
    }
  }
  return errs;
}

export function validateSecret(s: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data: Record<string, string> = isObject(s.data) ? s.data : {};
  if (s.data !== undefined && s.data !== null && !isObject(s.data)) return [fieldErr.typeInvalid('data', s.data, 'must be a map of string to base64 string')];
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(fieldErr.invalid(`data[${k}]`, k, m));
    if (typeof v !== 'string') {
      errs.push(fieldErr.typeInvalid(`data[${k}]`, v, 'must be a base64-encoded string'));
      continue;
    }
    const bad = base64Error(v);
    if (bad) errs.push(fieldErr.invalid(`data[${k}]`, '<secret contents redacted>', bad));
    else size += Buffer.from(v, 'base64').length;
  }
  if (size > MAX_SECRET_SIZE) errs.push(fieldErr.tooLong('data', '', MAX_SECRET_SIZE));
  errs.push(...validateTypeSpecific(s, data));
  return errs;
}

export function validateSecretUpdate(s: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if ((s.type ?? '') !== (old.type ?? '')) errs.push(fieldErr.invalid('type', s.type ?? '', IMMUTABLE));
  if (old.immutable === true) {
    if (s.immutable !== true) errs.push(fieldErr.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!jsonEqual(s.data ?? {}, old.data ?? {})) errs.push(fieldErr.forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  defaults(s) {
    if (!s.type) s.type = 'Opaque';
    // stringData is write-only: the v1 conversion folds it into data, where it wins over existing keys.
    if (isObject(s.stringData)) {
      const data: Record<string, unknown> = isObject(s.data) ? s.data : {};
      for (const [k, v] of Object.entries(s.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
      s.data = data;
    }
    delete s.stringData;
  },
  validate: validateSecret,
  validateUpdate: validateSecretUpdate,
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Type', type: 'string', description: 'Used to facilitate programmatic handling of secret data.', priority: 0 },
      { name: 'Data', type: 'string', description: 'Data contains the secret data.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (s, now) => [s.metadata?.name, s.type ?? '', Object.keys(s.data ?? {}).length, age(s.metadata?.creationTimestamp, now)],
  },
  fieldSelectors: {
    type: (s) => s.type ?? '',
  },
};
