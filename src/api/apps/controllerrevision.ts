import type { KObject, ResourceDef } from '../types.js';
import { fieldErr, immutable, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

/** `statefulset.apps/web`, as formatResourceName prints the controlling owner; '<none>' without one. */
export function controllerCell(obj: KObject): string {
  const ref = (obj.metadata?.ownerReferences ?? []).find((r: any) => r?.controller === true);
  if (!ref) return '<none>';
  const apiVersion = String(ref.apiVersion ?? '');
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = String(ref.kind ?? '');
  if (!kind) return ref.name;
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${ref.name}`;
}

export const controllerrevisions: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  validate(obj) {
    const errs = obj.data === undefined || obj.data === null ? [fieldErr.required('data', 'data is mandatory')] : [];
    return [...errs, ...validateNonNegative(obj.revision, 'revision')];
  },
  validateUpdate: (obj, old) => immutable(obj.data, old.data, 'data'),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Controller', type: 'string', description: 'Controller of the object', priority: 0 },
      { name: 'Revision', type: 'string', description: 'Revision indicates the revision of the state represented by Data.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => [o.metadata?.name, controllerCell(o), o.revision ?? 0, age(o.metadata?.creationTimestamp, now)],
  },
};
