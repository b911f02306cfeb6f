import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { IMMUTABLE, fieldErr, jsonEqual } from '../validation.js';
import { asArray, isObject, jsonDiff, validateDNS1123Subdomain, validateEnum, validatePositiveQuantity } from './validate-helpers.js';
import { formatTime } from '../../util/time.js';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_SOURCES = [
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'hostPath',
  'glusterfs',
  'nfs',
  'rbd',
  'iscsi',
  'cinder',
  'cephfs',
  'fc',
  'flocker',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];
/** The annotation that predates spec.storageClassName and still wins over it. */
export const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

// StorageObjectInUseProtection: deleting a claim a pod still uses, or a volume still bound,
// only marks it until the pvc-protection or pv-protection controller lets it go.
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** ACCESS MODES cell: RWO,ROX,RWX,RWOP in that order. */
export function accessModesString(modes: unknown): string {
  const set = new Set(asArray(modes));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

export const storageClassOf = (obj: KObject): string => obj.metadata?.annotations?.[BETA_STORAGE_CLASS] ?? obj.spec?.storageClassName ?? '';

export function validateAccessModes(modes: unknown, path: string, requiredDetail = ''): FieldError[] {
  const list = asArray(modes);
  if (!list.length) return [fieldErr.required(path, requiredDetail)];
  const errs: FieldError[] = [];
  for (const m of list) if (!ACCESS_MODES.includes(m)) errs.push(fieldErr.notSupported(path, m, ACCESS_MODES));
  if (list.includes('ReadWriteOncePod') && list.length > 1) errs.push(fieldErr.forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validatePV(pv: KObject): FieldError[] {
  const spec = pv.spec;
  if (!isObject(spec)) return [fieldErr.required('spec')];
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes');
  const cap: Record<string, unknown> = isObject(spec.capacity) ? spec.capacity : {};
  if (!Object.keys(cap).length) errs.push(fieldErr.required('spec.capacity'));
  if (!('storage' in cap) || Object.keys(cap).length > 1) errs.push(fieldErr.notSupported('spec.capacity', cap, ['storage']));
  for (const [k, q] of Object.entries(cap)) errs.push(...validatePositiveQuantity(q, `spec.capacity[${k}]`));
  errs.push(...validateEnum(spec.persistentVolumeReclaimPolicy, 'spec.persistentVolumeReclaimPolicy', RECLAIM_POLICIES, false));
  if (spec.storageClassName) errs.push(...validateDNS1123Subdomain(spec.storageClassName, 'spec.storageClassName'));
  if (spec.volumeMode !== undefined && spec.volumeMode !== null) errs.push(...validateEnum(spec.volumeMode, 'spec.volumeMode', VOLUME_MODES));
  const kinds = PV_SOURCES.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (!kinds.length) errs.push(fieldErr.required('spec', 'must specify a volume type'));
  for (const k of kinds.slice(1)) errs.push(fieldErr.forbidden(`spec.${k}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) errs.push(fieldErr.required('spec.hostPath.path'));
  if (spec.local) {
    if (!spec.local.path) errs.push(fieldErr.required('spec.local.path'));
    if (!spec.nodeAffinity) errs.push(fieldErr.required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (spec.nfs) {
    if (!spec.nfs.server) errs.push(fieldErr.required('spec.nfs.server'));
    if (!spec.nfs.path) errs.push(fieldErr.required('spec.nfs.path'));
  }
  if (spec.csi) {
    if (!spec.csi.driver) errs.push(fieldErr.required('spec.csi.driver'));
    if (!spec.csi.volumeHandle) errs.push(fieldErr.required('spec.csi.volumeHandle'));
  }
  if (spec.nodeAffinity && !asArray(spec.nodeAffinity.required?.nodeSelectorTerms).length)
    errs.push(fieldErr.required('spec.nodeAffinity.required.nodeSelectorTerms', 'must have at least one node selector term'));
  return errs;
}

function validatePVUpdate(pv: KObject, old: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const pick = (o: KObject) => Object.fromEntries(PV_SOURCES.filter((k) => o.spec?.[k] != null).map((k) => [k, o.spec[k]]));
  const [now, before] = [pick(pv), pick(old)];
  if (!jsonEqual(now, before))
    errs.push(
      fieldErr.forbidden('spec.persistentvolumesource', `spec.persistentvolumesource is immutable after creation\n${jsonDiff(before, now).join('\n')}`),
    );
  if (!jsonEqual(pv.spec?.volumeMode, old.spec?.volumeMode)) errs.push(fieldErr.invalid('volumeMode', pv.spec?.volumeMode ?? null, IMMUTABLE));
  if (old.spec?.nodeAffinity && !jsonEqual(pv.spec?.nodeAffinity, old.spec.nodeAffinity))
    errs.push(fieldErr.invalid('nodeAffinity', pv.spec?.nodeAffinity ?? null, IMMUTABLE));
  return errs;
}

const col = (name: string, description: string, priority = 0) => ({ name, type: 'string' as const, description, priority });

export const persistentvolumes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  subresources: { status: true },
  defaults(pv) {
    if (!isObject(pv.spec)) pv.spec = {};
    if (!pv.spec.persistentVolumeReclaimPolicy) pv.spec.persistentVolumeReclaimPolicy = 'Retain';
    if (!pv.spec.volumeMode) pv.spec.volumeMode = 'Filesystem';
    if (isObject(pv.spec.hostPath) && pv.spec.hostPath.type === undefined) pv.spec.hostPath.type = '';
    if (!isObject(pv.status)) pv.status = {};
    if (!pv.status.phase) pv.status.phase = 'Pending';
  },
  prepareForCreate(pv) {
    pv.status = { phase: 'Pending', lastPhaseTransitionTime: formatTime() };
  },
  validate: validatePV,
  validateUpdate: validatePVUpdate,
  validateStatusUpdate(pv) {
    const phase = pv.status?.phase;
    return phase ? validateEnum(phase, 'status.phase', ['Pending', 'Available', 'Bound', 'Released', 'Failed']) : [];
  },
  table: {
    columns: [
      NAME_COLUMN,
      col('Capacity', "capacity is the description of the persistent volume's resources and capacity."),
      col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
      col('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
      col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      col('StorageClass', 'StorageClass of the pv'),
      col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
      col('Reason', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      AGE_COLUMN,
      col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
    ],
    row(pv, now) {
      const ref = pv.spec?.claimRef;
      return [
        pv.metadata?.name,
        String(pv.spec?.capacity?.storage ?? '0'),
        accessModesString(pv.spec?.accessModes),
        pv.spec?.persistentVolumeReclaimPolicy ?? '',
        pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? ''),
        ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
        storageClassOf(pv),
        pv.spec?.volumeAttributesClassName ?? '<unset>',
        pv.status?.reason ?? '',
        age(pv.metadata?.creationTimestamp, now),
        pv.spec?.volumeMode ?? '<unset>',
      ];
    },
  },
  fieldSelectors: {
    name: (pv) => pv.metadata?.name,
  },
};
