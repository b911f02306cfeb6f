import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, isDNS1123Subdomain, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { formatLabelSelector, goLabelSelector, invalidRaw } from '../apps/selector.js';
import { CONTAINERS_COLUMN, IMAGES_COLUMN, containerCells, defaultTemplateOf, selectorColumn } from '../apps/pod-template.js';
import { validateJobSpecFields } from './job.js';
import { cronScheduleError, isKnownTimeZone } from './cron-schedule.js';

/** Job names get an 11-character suffix (`-<minutes since epoch>`), and must stay DNS-1035 labels. */
const MAX_CRONJOB_NAME = 52;
const TZ_PART = /^[A-Za-z._\-+0-9]+$/;

function defaults(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  const jt = (spec.jobTemplate ??= {});
  defaultTemplateOf((jt.spec ??= {}));
}

export function validateSchedule(schedule: unknown, timeZone: unknown, allowTZInSchedule: boolean, path: string): FieldError[] {
  if (typeof schedule !== 'string' || schedule.length === 0) return [fieldErr.required(path)];
  const errs: FieldError[] = [];
  const err = cronScheduleError(schedule);
  if (err) errs.push(fieldErr.invalid(path, schedule, err));
  if (schedule.includes('TZ')) {
    if (allowTZInSchedule && timeZone != null) errs.push(fieldErr.invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    else if (!allowTZInSchedule) errs.push(fieldErr.invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

export function validateTimeZone(tz: unknown, path: string): FieldError[] {
  if (tz === undefined || tz === null) return [];
  if (typeof tz !== 'string' || tz.length === 0) return [fieldErr.invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/'))
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part)) return [fieldErr.invalid(path, tz, `unknown time zone ${tz}`)];
  if (tz.toLowerCase() === 'local') return [fieldErr.invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isKnownTimeZone(tz) ? [] : [fieldErr.invalid(path, tz, `unknown time zone ${tz}`)];
}

export function validateCronJobSpec(spec: any, oldSpec?: any): FieldError[] {
  const s = spec ?? {};
  const allowTZ = typeof oldSpec?.schedule === 'string' && oldSpec.schedule.includes('TZ');
  const errs = validateSchedule(s.schedule, s.timeZone, allowTZ, 'spec.schedule');
  errs.push(...validateNonNegative(s.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  const policies = ['Allow', 'Forbid', 'Replace'];
  if (!s.concurrencyPolicy) errs.push(fieldErr.required('spec.concurrencyPolicy'));
  else if (!policies.includes(s.concurrencyPolicy)) errs.push(fieldErr.notSupported('spec.concurrencyPolicy', s.concurrencyPolicy, policies));
  const jobSpec = s.jobTemplate?.spec ?? {};
  errs.push(...validateJobSpecFields(jobSpec, 'spec.jobTemplate.spec'));
  // The CronJob controller generates each Job's selector.
  if (jobSpec.selector != null) errs.push(invalidRaw('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
  if (jobSpec.manualSelector === true) errs.push(fieldErr.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...validateNonNegative(s.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonNegative(s.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  errs.push(...validateTimeZone(s.timeZone, 'spec.timeZone'));
  return errs;
}

export const cronjobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  subresources: { status: true },
  generation: true,
  defaults,
  prepareForCreate(obj) {
    obj.status = {};
    obj.metadata!.generation = 1;
  },
  validateName(name) {
    const errs = isDNS1123Subdomain(name);
    if (name.length > MAX_CRONJOB_NAME) errs.push(`must be no more than ${MAX_CRONJOB_NAME} characters`);
    return errs;
  },
  // TZ= in a schedule is refused on create, so no stored CronJob can need the update exception.
  validate: (obj) => validateCronJobSpec(obj.spec),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Schedule', type: 'string', description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.', priority: 0 },
      {
        name: 'Timezone',
        type: 'string',
        description: 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
        priority: 0,
      },
      {
        name: 'Suspend',
        type: 'boolean',
        description: 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
        priority: 0,
      },
      { name: 'Active', type: 'integer', description: 'A list of pointers to currently running jobs.', priority: 0 },
      { name: 'Last Schedule', type: 'string', description: 'Information when was the last time the job was successfully scheduled.', priority: 0 },
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn('A label query over pods that should match the pod count.'),
    ],
    row(o, now) {
      const spec = o.spec ?? {};
      const [names, images] = containerCells(spec.jobTemplate?.spec?.template?.spec);
      const suspend = spec.suspend === undefined || spec.suspend === null ? '<unset>' : spec.suspend ? 'True' : 'False';
      const last = o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>';
      return [
        o.metadata?.name,
        spec.schedule ?? '',
        spec.timeZone ?? '<none>',
        suspend,
        (o.status?.active ?? []).length,
        last,
        age(o.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(spec.jobTemplate?.spec?.selector),
      ];
    },
  },
};
