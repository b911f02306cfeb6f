import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, immutable, isQualifiedName, jsonEqual } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS_ANNOTATION = 'storageclass.beta.kubernetes.io/is-default-class';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
const MAX_PARAMETERS = 512;
const MAX_PARAMETERS_SIZE = 256 * 1024;

/** True for the class that PVCs without storageClassName get. */
export function isDefaultStorageClass(obj: KObject): boolean {
  const a = obj.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === 'true' || a[BETA_DEFAULT_CLASS_ANNOTATION] === 'true';
}

/** The default class among `classes`, or undefined when none is marked default. */
export function pickDefaultClass(classes: KObject[]): KObject | undefined {
  let best: KObject | undefined;
  for (const c of classes) {
    if (!isDefaultStorageClass(c)) continue;
    if (!best) {
      best = c;
      continue;
    }
    const a = c.metadata?.creationTimestamp ?? '';
    const b = best.metadata?.creationTimestamp ?? '';
    if (a > b || (a === b && (c.metadata?.name ?? '') < (best.metadata?.name ?? ''))) best = c;
  }
  return best;
}

export function validateStorageClass(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const prov = typeof obj.provisioner === 'string' ? obj.provisioner : '';
  if (!prov) errs.push(fieldErr.required('provisioner'));
  else for (const m of isQualifiedName(prov.toLowerCase())) errs.push(fieldErr.invalid('provisioner', prov.toLowerCase(), m));
  const params: Record<string, unknown> = obj.parameters ?? {};
  const keys = Object.keys(params);
  if (keys.length > MAX_PARAMETERS)
    errs.push({ type: 'FieldValueTooLong', field: 'parameters', message: `Too long: may not be more than ${MAX_PARAMETERS} bytes` });
  else {
    let size = 0;
    for (const k of keys) {
      if (!k) errs.push(fieldErr.invalid('parameters', k, 'field can not be empty.'));
      size += k.length + String(params[k] ?? '').length;
    }
    if (size > MAX_PARAMETERS_SIZE)
      errs.push({ type: 'FieldValueTooLong', field: 'parameters', message: `Too long: may not be more than ${MAX_PARAMETERS_SIZE} bytes` });
  }
  if (obj.reclaimPolicy && !RECLAIM_POLICIES.includes(obj.reclaimPolicy))
    errs.push(fieldErr.notSupported('reclaimPolicy', obj.reclaimPolicy, RECLAIM_POLICIES));
  if (obj.volumeBindingMode == null) errs.push(fieldErr.required('volumeBindingMode'));
  else if (!BINDING_MODES.includes(obj.volumeBindingMode)) errs.push(fieldErr.notSupported('volumeBindingMode', obj.volumeBindingMode, BINDING_MODES));
  (Array.isArray(obj.allowedTopologies) ? obj.allowedTopologies : []).forEach((term: any, i: number) => {
    const exprs: any[] = Array.isArray(term?.matchLabelExpressions) ? term.matchLabelExpressions : [];
    if (!exprs.length) errs.push(fieldErr.required(`allowedTopologies[${i}].matchLabelExpressions`, 'must have at least one label expression'));
    exprs.forEach((e, j) => {
      const p = `allowedTopologies[${i}].matchLabelExpressions[${j}]`;
      for (const m of isQualifiedName(String(e?.key ?? ''))) errs.push(fieldErr.invalid(`${p}.key`, e?.key ?? '', m));
      if (!Array.isArray(e?.values) || !e.values.length) errs.push(fieldErr.required(`${p}.values`, 'must specify as least one value'));
    });
  });
  return errs;
}

export function validateStorageClassUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!jsonEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(fieldErr.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (obj.provisioner !== old.provisioner) errs.push(fieldErr.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if ((obj.reclaimPolicy ?? 'Delete') !== (old.reclaimPolicy ?? 'Delete'))
    errs.push(fieldErr.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  errs.push(...immutable(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode'));
  return errs;
}

export const storageclasses: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  defaults(obj) {
    obj.reclaimPolicy ||= 'Delete';
    obj.volumeBindingMode ||= 'Immediate';
  },
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Provisioner', type: 'string', description: 'provisioner indicates the type of the provisioner.', priority: 0 },
      {
        name: 'ReclaimPolicy',
        type: 'string',
        description: 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.',
        priority: 0,
      },
      {
        name: 'VolumeBindingMode',
        type: 'string',
        description:
          'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.',
        priority: 0,
      },
      { name: 'AllowVolumeExpansion', type: 'string', description: 'allowVolumeExpansion shows whether the storage class allow volume expand.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => [
      `${o.metadata?.name ?? ''}${isDefaultStorageClass(o) ? ' (default)' : ''}`,
      o.provisioner ?? '',
      o.reclaimPolicy ?? 'Delete',
      o.volumeBindingMode ?? 'Immediate',
      o.allowVolumeExpansion ?? false,
      age(o.metadata?.creationTimestamp, now),
    ],
  },
};
