import type { ResourceDef } from '../types.js';
import { customresourcedefinitions } from './crd.js';

export { CLEANUP_FINALIZER, CRD_GROUP, conditionOf, customresourcedefinitions, setCondition } from './crd.js';
export type { CRDCondition } from './crd.js';
export { isValidColumnPath } from './crd-validation.js';

export const apiextensionsResources: ResourceDef[] = [customresourcedefinitions];
