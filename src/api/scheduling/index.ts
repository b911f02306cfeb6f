import type { ResourceDef } from '../types.js';
import { priorityclasses } from './priorityclass.js';

export { priorityclasses };
export { HIGHEST_USER_DEFINABLE_PRIORITY, SYSTEM_PRIORITY_CLASSES, SYSTEM_PRIORITY_CLASS_PREFIX } from './priorityclass.js';

export const schedulingResources: ResourceDef[] = [priorityclasses];
