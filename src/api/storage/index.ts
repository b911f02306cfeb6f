import type { ResourceDef } from '../types.js';
import { storageclasses } from './storageclass.js';

export { storageclasses };
export { DEFAULT_CLASS_ANNOTATION, pickDefaultClass } from './storageclass.js';

export const storageResources: ResourceDef[] = [storageclasses];
