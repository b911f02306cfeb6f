// Pod templates inside workload objects (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
// CronJob): defaulting, the checks every controller kind shares, and the table cells.
import type { FieldError } from '../types.js';
import { fieldErr, selectorMatches, validateAnnotations, validateLabels, validateLabelSelector, validateNonNegative } from '../validation.js';
import { defaultPodSpec, validatePodSpec } from '../core/pod-spec.js';
import { goIntOrString, goLabelSelector, goStringMap, invalidRaw, selectorIsEmpty, selectorString, type LabelSelector } from './selector.js';

/** Makes `holder.template.spec` exist (Go's templates are values, never nil) and defaults it. */
export function defaultTemplateOf(holder: any): void {
  if (!holder.template || typeof holder.template !== 'object') holder.template = {};
  const t = holder.template;
  if (!t.spec || typeof t.spec !== 'object') t.spec = {};
  defaultPodSpec(t.spec);
}

/** core ValidatePodTemplateSpec: note that labels are reported at `<path>.labels`, as Kubernetes does. */
export function validatePodTemplate(template: any, path: string): FieldError[] {
  const t = template ?? {};
  const meta = t.metadata ?? {};
  const errs = [...validateLabels(meta.labels, `${path}.labels`), ...validateAnnotations(meta.annotations, `${path}.annotations`)];
  errs.push(...validatePodSpec(t.spec ?? {}, `${path}.spec`));
  if (Array.isArray(t.spec?.ephemeralContainers) && t.spec.ephemeralContainers.length)
    errs.push(fieldErr.forbidden(`${path}.spec.ephemeralContainers`, 'ephemeral containers not allowed in pod template'));
  return errs;
}

export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** The selector must select the template's pods; an empty selector (everything) always does. */
export function validateSelectorMatchesTemplate(sel: LabelSelector | undefined, template: any, path: string): FieldError[] {
  if (selectorIsEmpty(sel)) return [];
  const labels = template?.metadata?.labels;
  if (selectorMatches(sel, labels)) return [];
  return [invalidRaw(`${path}.metadata.labels`, goStringMap(labels), SELECTOR_MISMATCH)];
}

/**
 * The selector and template rules of ReplicaSet-like specs: selector required and non-empty,
 * the template selected by it, restartPolicy Always, no activeDeadlineSeconds.
 */
export function validateSelectorAndTemplate(spec: any, path: string, kindWord: string, kindName: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  if (sel === undefined || sel === null) errs.push(fieldErr.required(`${path}.selector`));
  else {
    errs.push(...validateLabelSelector(sel, `${path}.selector`));
    if (selectorIsEmpty(sel)) errs.push(invalidRaw(`${path}.selector`, goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
  }
  if (selectorString(sel) === undefined) {
    errs.push(invalidRaw(`${path}.selector`, goLabelSelector(sel), 'invalid label selector'));
    return errs;
  }
  errs.push(...validateSelectorMatchesTemplate(sel ?? undefined, spec.template, `${path}.template`));
  errs.push(...validatePodTemplate(spec.template, `${path}.template`));
  errs.push(...alwaysRestart(spec.template, `${path}.template`, kindName));
  return errs;
}

/** Long-running controllers' pods must restart Always and may not have a deadline. */
export function alwaysRestart(template: any, path: string, kindName: string): FieldError[] {
  const errs: FieldError[] = [];
  const ps = template?.spec ?? {};
  if (ps.restartPolicy !== 'Always') errs.push(fieldErr.notSupported(`${path}.spec.restartPolicy`, ps.restartPolicy ?? '', ['Always']));
  if (ps.activeDeadlineSeconds !== undefined && ps.activeDeadlineSeconds !== null)
    errs.push(fieldErr.forbidden(`${path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kindName} is not Supported`));
  return errs;
}

// ---- IntOrString fields such as maxSurge and minAvailable.

const PERCENT = /^[0-9]+%$/;
const PERCENT_MSG = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** ValidatePositiveIntOrPercent: a non-negative integer or an `N%` string. */
export function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return PERCENT.test(v) ? [] : [invalidRaw(path, goIntOrString(v), PERCENT_MSG)];
  if (typeof v === 'number' && Number.isInteger(v)) return v < 0 ? [invalidRaw(path, goIntOrString(v), 'must be greater than or equal to 0')] : [];
  return [fieldErr.invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

/** The number in an IntOrString (percent or plain); 0 for unparsable values, as Kubernetes does. */
export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    if (PERCENT.test(v)) return parseInt(v, 10);
    const n = parseInt(v, 10);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

export function notMoreThan100Percent(v: unknown, path: string): FieldError[] {
  if (typeof v !== 'string' || !PERCENT.test(v) || parseInt(v, 10) <= 100) return [];
  return [invalidRaw(path, goIntOrString(v), 'must not be greater than 100%')];
}

/** IntOrString as intstr's String(): the number or the string. */
export function intOrStringText(v: unknown): string {
  return typeof v === 'number' ? String(v) : String(v ?? '');
}

// ---- Table cells.

/** layoutContainerCells: container names and images, comma-separated. */
export function containerCells(podSpec: any): [string, string] {
  const cs: any[] = Array.isArray(podSpec?.containers) ? podSpec.containers : [];
  return [cs.map((c) => c?.name ?? '').join(','), cs.map((c) => c?.image ?? '').join(',')];
}

/** The cell printers use for a selector in wide output of Deployments: '<invalid>' on error. */
export function selectorCell(sel: LabelSelector | undefined): string {
  const s = selectorString(sel);
  return s === undefined ? '<invalid>' : s;
}

export const CONTAINERS_COLUMN = { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 1 } as const;
export const IMAGES_COLUMN = { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 1 } as const;
export function selectorColumn(description: string) {
  return { name: 'Selector', type: 'string', description, priority: 1 } as const;
}

/** status.X must be ≥ 0 and, for the listed ones, ≤ status.replicas (as Kubernetes' status validation). */
export function validateReplicaStatus(status: any, counters: string[], boundedByReplicas: string[]): FieldError[] {
  const s = status ?? {};
  const errs = counters.flatMap((n) => validateNonNegative(s[n], `status.${n}`));
  for (const n of boundedByReplicas)
    if ((s[n] ?? 0) > (s.replicas ?? 0)) errs.push(fieldErr.invalid(`status.${n}`, s[n], 'cannot be greater than status.replicas'));
  if (counters.includes('availableReplicas') && counters.includes('readyReplicas') && (s.availableReplicas ?? 0) > (s.readyReplicas ?? 0))
    errs.push(fieldErr.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}
