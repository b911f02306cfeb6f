import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, jsonEqual, validateLabelSelector, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { goLabelSelector, invalidRaw, selectorIsEmpty, selectorString } from './selector.js';
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  alwaysRestart,
  containerCells,
  defaultTemplateOf,
  intOrPercentValue,
  notMoreThan100Percent,
  validateIntOrPercent,
  validatePodTemplate,
  validateReplicaStatus,
  validateSelectorMatchesTemplate,
} from './pod-template.js';
import { clone } from '../../util/clone.js';

const RETENTION = ['Retain', 'Delete'];

function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.podManagementPolicy ||= 'OrderedReady';
  const us = (spec.updateStrategy ??= {});
  if (!us.type) {
    us.type = 'RollingUpdate';
    us.rollingUpdate ??= {};
  }
  if (us.type === 'RollingUpdate' && us.rollingUpdate) us.rollingUpdate.partition ??= 0;
  const pvc = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  pvc.whenDeleted ||= 'Retain';
  pvc.whenScaled ||= 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  defaultTemplateOf(spec);
  // The claim templates are PersistentVolumeClaims and get their defaults, status included.
  if (Array.isArray(spec.volumeClaimTemplates)) {
    for (const t of spec.volumeClaimTemplates) {
      if (!t || typeof t !== 'object') continue;
      t.apiVersion ??= 'v1';
      t.kind ??= 'PersistentVolumeClaim';
      t.spec ??= {};
      t.spec.volumeMode ??= 'Filesystem';
      t.status ??= {};
      t.status.phase ||= 'Pending';
    }
  }
}

function validateUpdateStrategy(us: any, path: string): FieldError[] {
  const s = us ?? {};
  switch (s.type) {
    case undefined:
    case '':
      return [fieldErr.required(path)];
    case 'OnDelete':
      return s.rollingUpdate ? [fieldErr.invalid(`${path}.rollingUpdate`, s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'")] : [];
    case 'RollingUpdate': {
      if (!s.rollingUpdate) return [];
      const p = `${path}.rollingUpdate`;
      const errs = validateNonNegative(s.rollingUpdate.partition, `${p}.partition`);
      const mu = s.rollingUpdate.maxUnavailable;
      if (mu !== undefined && mu !== null) {
        errs.push(...validateIntOrPercent(mu, `${p}.maxUnavailable`));
        if (intOrPercentValue(mu) === 0) errs.push(fieldErr.invalid(`${p}.maxUnavailable`, mu, 'cannot be 0'));
        errs.push(...notMoreThan100Percent(mu, `${p}.maxUnavailable`));
      }
      return errs;
    }
    default:
      return [fieldErr.invalid(path, s, "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

/** Pods get one volume per claim template, so mounts may name them: validate as the controller builds pods. */
function templateWithClaimVolumes(spec: any): any {
  const t = clone(spec.template ?? {});
  const claims: any[] = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  if (!claims.length) return t;
  t.spec ??= {};
  const volumes: any[] = Array.isArray(t.spec.volumes) ? t.spec.volumes : [];
  const have = new Set(volumes.map((v) => v?.name));
  for (const c of claims) {
    const name = c?.metadata?.name;
    if (typeof name === 'string' && name && !have.has(name)) volumes.push({ name, persistentVolumeClaim: { claimName: name } });
  }
  t.spec.volumes = volumes;
  return t;
}

export function validateStatefulSetSpec(spec: any, path = 'spec'): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  switch (s.podManagementPolicy) {
    case undefined:
    case '':
      errs.push(fieldErr.required(`${path}.podManagementPolicy`));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(fieldErr.invalid(`${path}.podManagementPolicy`, s.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateUpdateStrategy(s.updateStrategy, `${path}.updateStrategy`));
  const pvc = s.persistentVolumeClaimRetentionPolicy;
  if (pvc) {
    for (const f of ['whenDeleted', 'whenScaled'])
      if (!RETENTION.includes(pvc[f])) errs.push(fieldErr.notSupported(`${path}.persistentVolumeClaimRetentionPolicy.${f}`, pvc[f] ?? '', RETENTION));
  }
  errs.push(...validateNonNegative(s.replicas, `${path}.replicas`));
  errs.push(...validateNonNegative(s.minReadySeconds, `${path}.minReadySeconds`));
  errs.push(...validateNonNegative(s.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  if (s.ordinals) errs.push(...validateNonNegative(s.ordinals.start, `${path}.ordinals.start`));
  if (s.selector === undefined || s.selector === null) errs.push(fieldErr.required(`${path}.selector`));
  else {
    errs.push(...validateLabelSelector(s.selector, `${path}.selector`));
    if (selectorIsEmpty(s.selector)) errs.push(invalidRaw(`${path}.selector`, goLabelSelector(s.selector), 'empty selector is invalid for statefulset'));
  }
  if (selectorString(s.selector) === undefined) errs.push(invalidRaw(`${path}.selector`, goLabelSelector(s.selector), ''));
  else {
    errs.push(...validateSelectorMatchesTemplate(s.selector ?? undefined, s.template, `${path}.template`));
    errs.push(...validatePodTemplate(templateWithClaimVolumes(s), `${path}.template`));
  }
  errs.push(...alwaysRestart(s.template, `${path}.template`, 'StatefulSet'));
  const claims = s.volumeClaimTemplates;
  if (Array.isArray(claims))
    claims.forEach((c: any, i: number) => {
      if (!c?.metadata?.name) errs.push(fieldErr.required(`${path}.volumeClaimTemplates[${i}].metadata.name`));
    });
  return errs;
}

/** The spec fields that may change after creation; everything else is fixed. */
const MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateStatefulSetUpdate(obj: KObject, old: KObject): FieldError[] {
  const strip = (spec: any) => {
    const c = { ...(spec ?? {}) };
    for (const f of MUTABLE) delete c[f];
    return c;
  };
  if (jsonEqual(strip(obj.spec), strip(old.spec))) return [];
  return [
    fieldErr.forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}

export const statefulsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  subresources: {
    status: true,
    scale: { statusReplicasPath: ['status', 'replicas'], selector: (o) => selectorString(o.spec?.selector) ?? '' },
  },
  generation: true,
  defaults,
  prepareForCreate(obj) {
    obj.status = { replicas: 0, availableReplicas: 0 };
    obj.metadata!.generation = 1;
  },
  validate: (obj) => validateStatefulSetSpec(obj.spec),
  validateUpdate: validateStatefulSetUpdate,
  validateStatusUpdate: (obj) =>
    validateReplicaStatus(
      obj.status,
      ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'],
      ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'],
    ),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Ready', type: 'string', description: 'Number of the pod with ready state', priority: 0 },
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
    ],
    row(o, now) {
      const [names, images] = containerCells(o.spec?.template?.spec);
      return [o.metadata?.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`, age(o.metadata?.creationTimestamp, now), names, images];
    },
  },
};
