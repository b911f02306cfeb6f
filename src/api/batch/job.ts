import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, IMMUTABLE, immutable, jsonEqual, validateLabelSelector, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age, humanDuration } from '../table.js';
import { formatLabelSelector, goLabelSelector, goStringMap, invalidRaw, selectorString } from '../apps/selector.js';
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  containerCells,
  defaultTemplateOf,
  selectorColumn,
  validatePodTemplate,
  validateSelectorMatchesTemplate,
} from '../apps/pod-template.js';
import { clone } from '../../util/clone.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

const MAX_INDEXED_PARALLELISM = 100000;
const INT32_MAX = 2147483647;

/** batch/v1 defaults for a JobSpec that belongs to a Job (CronJob templates do not get these). */
function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? INT32_MAX : 6;
  defaultTemplateOf(spec);
  const tl = spec.template.metadata?.labels;
  if (tl && Object.keys(tl).length && !Object.keys(obj.metadata?.labels ?? {}).length) obj.metadata!.labels = { ...tl };
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  for (const rule of spec.podFailurePolicy?.rules ?? []) for (const p of rule?.onPodConditions ?? []) if (p && !p.status) p.status = 'True';
  spec.podReplacementPolicy ??= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.manualSelector ??= false;
}

/**
 * Gives the pods labels unique to this Job (its uid) and selects on them, unless the user
 * chose manualSelector. Kubernetes' defaulting aliases the Job's labels to its template's when
 * the Job has none, so the Job ends up carrying the generated labels too.
 */
export function generateSelector(obj: KObject): void {
  const spec = obj.spec;
  const meta = obj.metadata!;
  const tmeta = (spec.template.metadata ??= {});
  const aliased = jsonEqual(meta.labels ?? {}, tmeta.labels ?? {});
  const labels = (tmeta.labels ??= {});
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = meta.name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = meta.uid;
  const sel = (spec.selector ??= {});
  const ml = (sel.matchLabels ??= {});
  if (!(CONTROLLER_UID_LABEL in ml)) ml[CONTROLLER_UID_LABEL] = meta.uid;
  if (aliased) meta.labels = { ...labels };
}

function hasLabel(labels: Record<string, string> | undefined, path: string, key: string, expected: string): FieldError[] {
  const p = `${path}[${key}]`;
  if (!labels || !(key in labels)) return [fieldErr.required(p, expected)];
  return labels[key] === expected ? [] : [invalidRaw(p, goStringMap(labels), `must be '${expected}'`)];
}

/** The generated labels must be there and the selector must be the generated one. */
function validateGeneratedSelector(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  if (spec.manualSelector === true || !spec.selector) return [];
  const errs: FieldError[] = [];
  const uid = String(obj.metadata?.uid ?? '');
  const name = String(obj.metadata?.name ?? '');
  if (!uid) errs.push(fieldErr.required('metadata.uid'));
  const labels = spec.template?.metadata?.labels;
  const path = 'spec.template.metadata.labels';
  errs.push(...hasLabel(labels, path, LEGACY_CONTROLLER_UID_LABEL, uid), ...hasLabel(labels, path, LEGACY_JOB_NAME_LABEL, name));
  // Jobs created before the batch.kubernetes.io labels existed select on controller-uid.
  const batchLabels = CONTROLLER_UID_LABEL in (spec.selector.matchLabels ?? {});
  if (batchLabels) errs.push(...hasLabel(labels, path, CONTROLLER_UID_LABEL, uid), ...hasLabel(labels, path, JOB_NAME_LABEL, name));
  const expected = batchLabels ? `${CONTROLLER_UID_LABEL}=${uid}` : `${LEGACY_CONTROLLER_UID_LABEL}=${uid}`;
  const actual = selectorString(spec.selector);
  if (actual !== undefined && actual !== expected) errs.push(invalidRaw('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  return errs;
}

/** validateJobSpec: the rules shared by Jobs and CronJob job templates (no selector rules). */
export function validateJobSpecFields(spec: any, path: string): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
    'maxFailedIndexes',
  ])
    errs.push(...validateNonNegative(s[f], `${path}.${f}`));
  if (s.completionMode != null) {
    if (s.completionMode !== 'NonIndexed' && s.completionMode !== 'Indexed')
      errs.push(fieldErr.notSupported(`${path}.completionMode`, s.completionMode, ['NonIndexed', 'Indexed']));
    if (s.completionMode === 'Indexed') {
      if (s.completions == null) errs.push(fieldErr.required(`${path}.completions`, 'when completion mode is Indexed'));
      if (s.parallelism > MAX_INDEXED_PARALLELISM)
        errs.push(
          fieldErr.invalid(`${path}.parallelism`, s.parallelism, `must be less than or equal to ${MAX_INDEXED_PARALLELISM} when completion mode is Indexed`),
        );
    }
  }
  if (s.backoffLimitPerIndex != null && s.completionMode !== 'Indexed')
    errs.push(fieldErr.forbidden(`${path}.backoffLimitPerIndex`, 'requires indexed completion mode'));
  if (s.maxFailedIndexes != null && s.backoffLimitPerIndex == null)
    errs.push(fieldErr.required(`${path}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
  if (s.podReplacementPolicy != null) {
    if (s.podFailurePolicy) {
      if (s.podReplacementPolicy !== 'Failed') errs.push(fieldErr.notSupported(`${path}.podReplacementPolicy`, s.podReplacementPolicy, ['Failed']));
    } else if (!['Failed', 'TerminatingOrFailed'].includes(s.podReplacementPolicy))
      errs.push(fieldErr.notSupported(`${path}.podReplacementPolicy`, s.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
  }
  const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
  (s.podFailurePolicy?.rules ?? []).forEach((r: any, i: number) => {
    if (!actions.includes(r?.action)) errs.push(fieldErr.notSupported(`${path}.podFailurePolicy.rules[${i}].action`, r?.action ?? '', actions));
  });
  errs.push(...validatePodTemplate(s.template, `${path}.template`));
  const rp = s.template?.spec?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') errs.push(fieldErr.notSupported(`${path}.template.spec.restartPolicy`, rp ?? '', ['OnFailure', 'Never']));
  else if (rp === 'OnFailure' && s.podFailurePolicy)
    errs.push(fieldErr.invalid(`${path}.template.spec.restartPolicy`, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

export function validateJob(obj: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const errs = validateGeneratedSelector(obj);
  errs.push(...validateJobSpecFields(spec, 'spec'));
  if (!spec.selector) errs.push(fieldErr.required('spec.selector'));
  else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (selectorString(spec.selector) !== undefined) errs.push(...validateSelectorMatchesTemplate(spec.selector, spec.template, 'spec.template'));
  }
  return errs;
}

/** Scheduling directives of a suspended Job that never started may change (for queueing systems). */
function comparableTemplate(template: any, relaxed: boolean, newTemplate: any): any {
  if (!relaxed) return template;
  const t = clone(template ?? {});
  const n = newTemplate ?? {};
  t.metadata ??= {};
  t.spec ??= {};
  t.metadata.labels = n.metadata?.labels;
  t.metadata.annotations = n.metadata?.annotations;
  t.spec.nodeSelector = n.spec?.nodeSelector;
  t.spec.tolerations = n.spec?.tolerations;
  t.spec.schedulingGates = n.spec?.schedulingGates;
  if (t.spec.affinity || n.spec?.affinity) t.spec.affinity = { ...(t.spec.affinity ?? {}), nodeAffinity: n.spec?.affinity?.nodeAffinity };
  return t;
}

export function validateJobUpdate(obj: KObject, old: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const oldSpec = old.spec ?? {};
  const errs: FieldError[] = [];
  const elastic =
    spec.completionMode === 'Indexed' && spec.completions != null && spec.completions === spec.parallelism && oldSpec.completions === oldSpec.parallelism;
  if (!elastic) errs.push(...immutable(spec.completions, oldSpec.completions, 'spec.completions'));
  if (!jsonEqual(spec.selector, oldSpec.selector)) errs.push(invalidRaw('spec.selector', goLabelSelector(spec.selector), IMMUTABLE));
  const relaxed = oldSpec.suspend === true && !old.status?.startTime;
  if (!jsonEqual(spec.template, comparableTemplate(oldSpec.template, relaxed, spec.template)))
    errs.push(fieldErr.invalid('spec.template', spec.template, IMMUTABLE));
  for (const f of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy'])
    errs.push(...immutable(spec[f], oldSpec[f], `spec.${f}`));
  return errs;
}

function hasCondition(obj: KObject, type: string): boolean {
  const c = (obj.status?.conditions ?? []).find((x: any) => x?.type === type);
  return c?.status === 'True';
}

/** The STATUS column of `kubectl get jobs`. */
export function jobStatusCell(obj: KObject): string {
  if (hasCondition(obj, 'Complete')) return 'Complete';
  if (hasCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(obj, 'Suspended')) return 'Suspended';
  if (hasCondition(obj, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(obj, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function completionsCell(obj: KObject): string {
  const succeeded = obj.status?.succeeded ?? 0;
  if (obj.spec?.completions != null) return `${succeeded}/${obj.spec.completions}`;
  const parallelism = obj.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function durationCell(obj: KObject, now: number): string {
  const start = obj.status?.startTime ? Date.parse(obj.status.startTime) : NaN;
  if (Number.isNaN(start)) return '';
  const end = obj.status?.completionTime ? Date.parse(obj.status.completionTime) : NaN;
  return humanDuration((Number.isNaN(end) ? now : end) - start);
}

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  subresources: { status: true },
  generation: true,
  defaults,
  prepareForCreate(obj) {
    obj.status = {};
    obj.metadata!.generation = 1;
    if (obj.spec?.manualSelector !== true) generateSelector(obj);
  },
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  validateStatusUpdate: (obj) => ['active', 'succeeded', 'failed', 'terminating', 'ready'].flatMap((n) => validateNonNegative(obj.status?.[n], `status.${n}`)),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Status', type: 'string', description: 'Status of the job.', priority: 0 },
      { name: 'Completions', type: 'string', description: 'The number of pods which reached phase Succeeded.', priority: 0 },
      { name: 'Duration', type: 'string', description: 'Time required to complete the job.', priority: 0 },
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn('A label query over pods that should match the pod count.'),
    ],
    row(o, now) {
      const [names, images] = containerCells(o.spec?.template?.spec);
      return [
        o.metadata?.name,
        jobStatusCell(o),
        completionsCell(o),
        durationCell(o, now),
        age(o.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(o.spec?.selector),
      ];
    },
  },
};
