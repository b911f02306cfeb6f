import type { ResourceDef } from '../types.js';
import { customresourcedefinitions } from './crd.js';

export { CLEANUP_FINALIZER, conditionOf, setCondition } from './crd.js';

export const apiextensionsResources: ResourceDef[] = [customresourcedefinitions];
