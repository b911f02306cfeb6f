import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, jsonEqual, validateLabelSelector, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { formatLabelMap, formatLabelSelector, goLabelSelector, invalidRaw, selectorIsEmpty } from './selector.js';
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  alwaysRestart,
  containerCells,
  defaultTemplateOf,
  intOrPercentValue,
  notMoreThan100Percent,
  selectorColumn,
  validateIntOrPercent,
  validatePodTemplate,
  validateSelectorMatchesTemplate,
} from './pod-template.js';
import { immutableSelector } from './deployment.js';

/** apps/v1 carries the internal templateGeneration in this annotation. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  const us = (spec.updateStrategy ??= {});
  us.type ||= 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    const ru = (us.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplateOf(spec);
}

function validateUpdateStrategy(us: any, path: string): FieldError[] {
  const s = us ?? {};
  switch (s.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!s.rollingUpdate) return [fieldErr.required(`${path}.rollingUpdate`)];
      const ru = s.rollingUpdate;
      const p = `${path}.rollingUpdate`;
      const errs = [
        ...validateIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...validateIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
        ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`),
      ];
      const unavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const surge = intOrPercentValue(ru.maxSurge) !== 0;
      if (unavailable && surge) errs.push(fieldErr.invalid(`${p}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      if (!unavailable && !surge) errs.push(fieldErr.required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [fieldErr.notSupported(path, s, ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSetSpec(spec: any, path = 'spec'): FieldError[] {
  const s = spec ?? {};
  const errs = validateLabelSelector(s.selector, `${path}.selector`);
  // A missing selector selects nothing, so it is reported as not matching the template.
  errs.push(...validateSelectorMatchesTemplate(s.selector ?? undefined, s.template, `${path}.template`));
  if (s.selector && selectorIsEmpty(s.selector))
    errs.push(invalidRaw(`${path}.selector`, goLabelSelector(s.selector), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplate(s.template, `${path}.template`));
  errs.push(...alwaysRestart(s.template, `${path}.template`, 'DaemonSet'));
  errs.push(...validateNonNegative(s.minReadySeconds, `${path}.minReadySeconds`));
  errs.push(...validateUpdateStrategy(s.updateStrategy, `${path}.updateStrategy`));
  errs.push(...validateNonNegative(s.revisionHistoryLimit, `${path}.revisionHistoryLimit`));
  return errs;
}

function setTemplateGeneration(obj: KObject, gen: number): void {
  const meta = obj.metadata!;
  meta.annotations = { ...(meta.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(gen) };
}

export const daemonsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  subresources: { status: true },
  generation: true,
  defaults,
  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    obj.metadata!.generation = 1;
    setTemplateGeneration(obj, 1);
  },
  prepareForUpdate(obj, old) {
    const prev = parseInt(old.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION] ?? '1', 10) || 1;
    setTemplateGeneration(obj, jsonEqual(obj.spec?.template, old.spec?.template) ? prev : prev + 1);
  },
  validate: (obj) => validateDaemonSetSpec(obj.spec),
  validateUpdate: immutableSelector,
  validateStatusUpdate: (obj) =>
    [
      'currentNumberScheduled',
      'numberMisscheduled',
      'desiredNumberScheduled',
      'numberReady',
      'observedGeneration',
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
      'collisionCount',
    ].flatMap((n) => validateNonNegative(obj.status?.[n], `status.${n}`)),
  table: {
    columns: [
      NAME_COLUMN,
      {
        name: 'Desired',
        type: 'integer',
        description: 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
        priority: 0,
      },
      {
        name: 'Current',
        type: 'integer',
        description: 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
        priority: 0,
      },
      {
        name: 'Ready',
        type: 'integer',
        description: 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
        priority: 0,
      },
      { name: 'Up-to-date', type: 'integer', description: 'The total number of nodes that are running updated daemon pod', priority: 0 },
      {
        name: 'Available',
        type: 'integer',
        description:
          'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
        priority: 0,
      },
      {
        name: 'Node Selector',
        type: 'string',
        description:
          "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.",
        priority: 0,
      },
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn('A label query over pods that are managed by the daemon set. Must match in order to be controlled.'),
    ],
    row(o, now) {
      const st = o.status ?? {};
      const [names, images] = containerCells(o.spec?.template?.spec);
      return [
        o.metadata?.name,
        st.desiredNumberScheduled ?? 0,
        st.currentNumberScheduled ?? 0,
        st.numberReady ?? 0,
        st.updatedNumberScheduled ?? 0,
        st.numberAvailable ?? 0,
        formatLabelMap(o.spec?.template?.spec?.nodeSelector),
        age(o.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(o.spec?.selector),
      ];
    },
  },
};
