import type { ResourceDef } from '../types.js';
import { cronjobs } from './cronjob.js';
import { jobs } from './job.js';

export { cronjobs, jobs };
export { parseCronSchedule } from './cron-schedule.js';

export const batchResources: ResourceDef[] = [jobs, cronjobs];
