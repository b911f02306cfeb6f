import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr, validateLabels } from '../validation.js';
import { defaultPodTemplate } from './pod-defaults.js';
import { validatePodTemplate } from './pod-validation.js';
import { containerCells } from './podtemplate.js';
import { formatLabelsSorted, isObject, selectorString, validateNonNegativeInt } from './validate-helpers.js';

/** How Go's %#v prints a map[string]string, which Kubernetes shows for label mismatches. */
function goStringMap(m: Record<string, string>): string {
  const keys = Object.keys(m).sort();
  return keys.length ? `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(', ')}}` : 'map[string]string(nil)';
}

export function validateReplicationController(rc: KObject): FieldError[] {
  const spec = rc.spec;
  if (!isObject(spec)) return [fieldErr.required('spec')];
  const errs: FieldError[] = [];
  errs.push(...validateNonNegativeInt(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonNegativeInt(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selector: Record<string, string> = isObject(spec.selector) ? spec.selector : {};
  if (!Object.keys(selector).length) errs.push(fieldErr.required('spec.selector'));
  else errs.push(...validateLabels(selector, 'spec.selector'));
  const t = spec.template;
  if (!isObject(t)) {
    errs.push(fieldErr.required('spec.template'));
    return errs;
  }
  const labels: Record<string, string> = t.metadata?.labels ?? {};
  if (Object.keys(selector).length && !Object.entries(selector).every(([k, v]) => labels[k] === v))
    errs.push({
      type: 'FieldValueInvalid',
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${goStringMap(labels)}: \`selector\` does not match template \`labels\``,
    });
  errs.push(...validatePodTemplate(t, 'spec.template'));
  if (t.spec?.restartPolicy !== 'Always') errs.push(fieldErr.notSupported('spec.template.spec.restartPolicy', t.spec?.restartPolicy ?? '', ['Always']));
  if (t.spec?.activeDeadlineSeconds !== undefined && t.spec?.activeDeadlineSeconds !== null)
    errs.push(fieldErr.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  return errs;
}

function validateStatus(rc: KObject): FieldError[] {
  const st = rc.status ?? {};
  const errs: FieldError[] = [];
  for (const k of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'])
    errs.push(...validateNonNegativeInt(st[k], `status.${k}`));
  const gt = 'cannot be greater than status.replicas';
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'])
    if ((st[k] ?? 0) > (st.replicas ?? 0)) errs.push(fieldErr.invalid(`status.${k}`, st[k], gt));
  if ((st.availableReplicas ?? 0) > (st.readyReplicas ?? 0))
    errs.push(fieldErr.invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}

const intCol = (name: string, description: string) => ({ name, type: 'integer' as const, description, priority: 0 });
const wideCol = (name: string, description: string) => ({ name, type: 'string' as const, description, priority: 1 });

export const replicationcontrollers: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  generation: true,
  subresources: {
    status: true,
    scale: { selector: (rc) => selectorString(rc.spec?.selector) },
  },
  defaults(rc) {
    if (!isObject(rc.spec)) rc.spec = {};
    const spec = rc.spec;
    const labels = spec.template?.metadata?.labels;
    // SetDefaults_ReplicationController: selector and object labels come from the template's labels.
    if (isObject(labels) && Object.keys(labels).length) {
      if (!Object.keys(spec.selector ?? {}).length) spec.selector = { ...labels };
      if (rc.metadata && !Object.keys(rc.metadata.labels ?? {}).length) rc.metadata.labels = { ...labels };
    }
    if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
    if (isObject(spec.template)) defaultPodTemplate(spec.template);
    if (!isObject(rc.status)) rc.status = { replicas: 0 };
    else rc.status.replicas ??= 0;
  },
  prepareForCreate(rc) {
    rc.status = { replicas: 0 };
  },
  validate: validateReplicationController,
  validateStatusUpdate: validateStatus,
  table: {
    columns: [
      NAME_COLUMN,
      intCol('Desired', 'Replicas is the number of desired replicas.'),
      intCol('Current', 'Replicas is the most recently observed number of replicas.'),
      intCol('Ready', 'The number of ready replicas for this replication controller.'),
      AGE_COLUMN,
      wideCol('Containers', 'Names of each container in the template.'),
      wideCol('Images', 'Images referenced by each container in the template.'),
      wideCol('Selector', 'Selector is a label query over pods that should match the Replicas count.'),
    ],
    row(rc, now) {
      const [names, images] = containerCells(rc.spec?.template?.spec?.containers);
      return [
        rc.metadata?.name,
        rc.spec?.replicas ?? 0,
        rc.status?.replicas ?? 0,
        rc.status?.readyReplicas ?? 0,
        age(rc.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelsSorted(rc.spec?.selector),
      ];
    },
  },
  fieldSelectors: {
    'status.replicas': (rc) => String(rc.status?.replicas ?? 0),
  },
};
