import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr, jsonEqual, validateLabelSelector } from '../validation.js';
import { accessModesString, storageClassOf, validateAccessModes } from './persistentvolume.js';
import { compareQuantity, isObject, jsonDiff, validateDNS1123Subdomain, validateEnum, validatePositiveQuantity } from './validate-helpers.js';
import { clone } from '../../util/clone.js';

export function validatePVCSpec(spec: any, path: string): FieldError[] {
  if (!isObject(spec)) return [fieldErr.required(path)];
  const errs = validateAccessModes(spec.accessModes, `${path}.accessModes`, 'at least 1 access mode is required');
  errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined || storage === null) errs.push(fieldErr.required(`${path}.resources[storage]`));
  else errs.push(...validatePositiveQuantity(storage, `${path}.resources[storage]`));
  if (spec.storageClassName) errs.push(...validateDNS1123Subdomain(spec.storageClassName, `${path}.storageClassName`));
  if (spec.volumeMode !== undefined && spec.volumeMode !== null) errs.push(...validateEnum(spec.volumeMode, `${path}.volumeMode`, ['Block', 'Filesystem']));
  if (spec.dataSource) {
    if (!spec.dataSource.name) errs.push(fieldErr.required(`${path}.dataSource.name`));
    if (!spec.dataSource.kind) errs.push(fieldErr.required(`${path}.dataSource.kind`));
  }
  return errs;
}

const PVC_IMMUTABLE = 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims';

function validatePVCUpdate(pvc: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const next = clone(pvc.spec ?? {});
  const before = clone(old.spec ?? {});
  // A claim may be bound to a volume once; expansion is allowed for bound claims.
  if (!before.volumeName) before.volumeName = next.volumeName;
  if (pvc.status?.phase === 'Bound' && isObject(next.resources?.requests)) {
    next.resources.requests.storage = before.resources?.requests?.storage;
    if (next.resources.requests.storage === undefined) delete next.resources.requests.storage;
  }
  next.volumeAttributesClassName = before.volumeAttributesClassName;
  if (!before.storageClassName && old.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] === next.storageClassName)
    before.storageClassName = next.storageClassName;
  // Retroactive default class: a claim that never had a class may be given one, once.
  const oldAnnotation = old.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (before.storageClassName == null && !oldAnnotation && next.storageClassName != null) before.storageClassName = next.storageClassName;
  for (const o of [next, before]) for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  if (!jsonEqual(next, before)) errs.push(fieldErr.forbidden('spec', `${PVC_IMMUTABLE}\n${jsonDiff(before, next).join('\n')}`));
  const newSize = pvc.spec?.resources?.requests?.storage;
  const oldSize = old.spec?.resources?.requests?.storage;
  if (newSize !== undefined && oldSize !== undefined && compareQuantity(newSize, oldSize) < 0) {
    const capacity = old.status?.capacity?.storage;
    if (capacity === undefined) errs.push(fieldErr.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    else if (compareQuantity(newSize, capacity) <= 0)
      errs.push(fieldErr.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
  }
  return errs;
}

const col = (name: string, description: string, priority = 0) => ({ name, type: 'string' as const, description, priority });

export const persistentvolumeclaims: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  subresources: { status: true },
  defaults(pvc) {
    if (!isObject(pvc.spec)) pvc.spec = {};
    if (!pvc.spec.volumeMode) pvc.spec.volumeMode = 'Filesystem';
    if (!isObject(pvc.spec.resources)) pvc.spec.resources = {};
    if (!isObject(pvc.status)) pvc.status = {};
    if (!pvc.status.phase) pvc.status.phase = 'Pending';
  },
  prepareForCreate(pvc) {
    pvc.status = { phase: 'Pending' };
  },
  validate: (pvc) => validatePVCSpec(pvc.spec, 'spec'),
  validateUpdate: validatePVCUpdate,
  validateStatusUpdate(pvc) {
    const errs: FieldError[] = [];
    const phase = pvc.status?.phase;
    if (phase) errs.push(...validateEnum(phase, 'status.phase', ['Pending', 'Bound', 'Lost']));
    for (const [k, q] of Object.entries(isObject(pvc.status?.capacity) ? pvc.status.capacity : {}))
      errs.push(...validatePositiveQuantity(q, `status.capacity[${k}]`));
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      col('StorageClass', 'StorageClass of the pvc'),
      col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
      AGE_COLUMN,
      col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', 1),
    ],
    row(pvc, now) {
      const bound = !!pvc.spec?.volumeName;
      return [
        pvc.metadata?.name,
        pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? ''),
        pvc.spec?.volumeName ?? '',
        bound ? String(pvc.status?.capacity?.storage ?? '0') : '',
        bound ? accessModesString(pvc.status?.accessModes) : '',
        storageClassOf(pvc),
        pvc.spec?.volumeAttributesClassName ?? '<unset>',
        age(pvc.metadata?.creationTimestamp, now),
        pvc.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
  fieldSelectors: {
    name: (pvc) => pvc.metadata?.name,
  },
};
