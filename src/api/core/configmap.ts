import type { FieldError, ResourceDef } from '../types.js';
import { fieldErr } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

const KEY = /^[-._a-zA-Z0-9]+$/;

/** Keys of data/binaryData/stringData: Kubernetes' IsConfigMapKey. */
export function validateDataKeys(data: unknown, path: string): FieldError[] {
  if (data === undefined || data === null) return [];
  if (typeof data !== 'object' || Array.isArray(data)) return [fieldErr.typeInvalid(path, data, 'must be a map')];
  const errs: FieldError[] = [];
  for (const k of Object.keys(data)) {
    if (k.length > 253) errs.push(fieldErr.invalid(path, k, 'must be no more than 253 characters'));
    if (!KEY.test(k))
      errs.push(
        fieldErr.invalid(
          path,
          k,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
      );
  }
  return errs;
}

const MAX_CONFIGMAP_SIZE = 1024 * 1024;

function configMapDataSize(data: unknown, binaryData: unknown): number {
  let size = 0;
  if (data && typeof data === 'object') for (const v of Object.values(data)) if (typeof v === 'string') size += Buffer.byteLength(v);
  if (binaryData && typeof binaryData === 'object')
    for (const v of Object.values(binaryData)) if (typeof v === 'string') size += Buffer.byteLength(v, 'base64');
  return size;
}

export const configmaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  validate(obj) {
    const errs = [...validateDataKeys(obj.data, 'data'), ...validateDataKeys(obj.binaryData, 'binaryData')];
    for (const k of Object.keys(obj.data ?? {})) {
      if (obj.binaryData && k in obj.binaryData) errs.push(fieldErr.invalid('data', k, 'duplicate of key present in binaryData'));
      if (typeof obj.data[k] !== 'string') errs.push(fieldErr.typeInvalid(`data.${k}`, obj.data[k], 'must be a string'));
    }
    // As Kubernetes: data and binaryData together (binaryData decoded) within MaxSecretSize,
    // reported against the whole object.
    if (configMapDataSize(obj.data, obj.binaryData) > MAX_CONFIGMAP_SIZE) errs.push(fieldErr.tooLong('[]', '', MAX_CONFIGMAP_SIZE));
    return errs;
  },
  validateUpdate(obj, old) {
    if (
      old.immutable === true &&
      (JSON.stringify(obj.data ?? {}) !== JSON.stringify(old.data ?? {}) || JSON.stringify(obj.binaryData ?? {}) !== JSON.stringify(old.binaryData ?? {}))
    )
      return [fieldErr.forbidden('data', 'field is immutable when `immutable` is set')];
    if (old.immutable === true && obj.immutable !== true) return [fieldErr.forbidden('immutable', 'field is immutable when `immutable` is set')];
    return [];
  },
  table: {
    columns: [NAME_COLUMN, { name: 'Data', type: 'string', description: 'Number of keys in data and binaryData.', priority: 0 }, AGE_COLUMN],
    row: (o, now) => [o.metadata?.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata?.creationTimestamp, now)],
  },
};
