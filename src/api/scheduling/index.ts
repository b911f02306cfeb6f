import type { ResourceDef } from '../types.js';
import { priorityclasses } from './priorityclass.js';

export { priorityclasses };

export const schedulingResources: ResourceDef[] = [priorityclasses];
