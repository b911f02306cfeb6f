import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, IMMUTABLE, jsonEqual, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { goLabelSelector, invalidRaw, selectorString } from './selector.js';
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  containerCells,
  defaultTemplateOf,
  intOrPercentValue,
  notMoreThan100Percent,
  selectorCell,
  selectorColumn,
  validateIntOrPercent,
  validateReplicaStatus,
  validateSelectorAndTemplate,
} from './pod-template.js';

function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplateOf(spec);
}

function validateStrategy(strategy: any, path: string): FieldError[] {
  const s = strategy ?? {};
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate ? [fieldErr.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      if (!s.rollingUpdate) return [fieldErr.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const ru = s.rollingUpdate;
      const p = `${path}.rollingUpdate`;
      const errs = [...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`), ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`)];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
        errs.push(fieldErr.invalid(`${p}.maxUnavailable`, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      return errs;
    }
    default:
      return [fieldErr.notSupported(path, s, ['Recreate', 'RollingUpdate'])];
  }
}

export function validateDeploymentSpec(spec: any, path = 'spec'): FieldError[] {
  const s = spec ?? {};
  const errs = [...validateNonNegative(s.replicas, `${path}.replicas`)];
  errs.push(...validateSelectorAndTemplate(s, path, 'deployment', 'ReplicaSet'));
  errs.push(...validateStrategy(s.strategy, `${path}.strategy`));
  errs.push(...validateNonNegative(s.minReadySeconds, `${path}.minReadySeconds`));
  errs.push(...validateNonNegative(s.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds !== null) {
    errs.push(...validateNonNegative(s.progressDeadlineSeconds, `${path}.progressDeadlineSeconds`));
    if (s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0))
      errs.push(fieldErr.invalid(`${path}.progressDeadlineSeconds`, s.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** apps/v1 selectors may not change once set: pods of the old selector would be orphaned. */
export function immutableSelector(obj: KObject, old: KObject): FieldError[] {
  if (jsonEqual(obj.spec?.selector, old.spec?.selector)) return [];
  return [invalidRaw('spec.selector', goLabelSelector(obj.spec?.selector), IMMUTABLE)];
}

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: {
    status: true,
    scale: { statusReplicasPath: ['status', 'replicas'], selector: (o) => selectorString(o.spec?.selector) ?? '' },
  },
  generation: true,
  defaults,
  prepareForCreate(obj) {
    obj.status = {};
    obj.metadata!.generation = 1;
  },
  prepareForUpdate(obj, old) {
    // Annotations are copied to the ReplicaSets, so changing them is a new generation too.
    if (!jsonEqual(obj.metadata?.annotations ?? {}, old.metadata?.annotations ?? {})) obj.metadata!.generation = (old.metadata?.generation ?? 1) + 1;
  },
  validate: (obj) => validateDeploymentSpec(obj.spec),
  validateUpdate: immutableSelector,
  validateStatusUpdate: (obj) => [
    ...validateReplicaStatus(
      obj.status,
      ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount'],
      ['updatedReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  ],
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Ready', type: 'string', description: 'Number of the pod with ready state', priority: 0 },
      {
        name: 'Up-to-date',
        type: 'string',
        description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
        priority: 0,
      },
      {
        name: 'Available',
        type: 'string',
        description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
        priority: 0,
      },
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn('Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'),
    ],
    row(o, now) {
      const st = o.status ?? {};
      const [names, images] = containerCells(o.spec?.template?.spec);
      return [
        o.metadata?.name,
        `${st.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
        st.updatedReplicas ?? 0,
        st.availableReplicas ?? 0,
        age(o.metadata?.creationTimestamp, now),
        names,
        images,
        selectorCell(o.spec?.selector),
      ];
    },
  },
};
