import type { ResourceDef } from '../types.js';
import { cronjobs } from './cronjob.js';
import { jobs } from './job.js';

export { cronjobs, jobs };
export { CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL, generateSelector, jobStatusCell } from './job.js';
export { cronScheduleError, parseCronSchedule, type CronField, type CronSchedule } from './cron-schedule.js';

export const batchResources: ResourceDef[] = [jobs, cronjobs];
