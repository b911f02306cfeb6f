import type { FieldError, KObject, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { asArray, isObject, validateEnum, validateQualifiedName, validateResourceQuantity } from './validate-helpers.js';

const SCOPES = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'];

function validateResourceList(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(isObject(list) ? list : {})) {
    const p = `${path}[${name}]`;
    errs.push(...validateQualifiedName(name, p), ...validateResourceQuantity(name, q, p));
  }
  return errs;
}

export function validateResourceQuota(rq: KObject): FieldError[] {
  const spec = rq.spec ?? {};
  const errs = validateResourceList(spec.hard, 'spec.hard');
  asArray(spec.scopes).forEach((s, i) => {
    errs.push(...validateEnum(s, `spec.scopes[${i}]`, SCOPES));
  });
  asArray(spec.scopeSelector?.matchExpressions).forEach((e: any, i) => {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    errs.push(...validateEnum(e?.scopeName, `${p}.scopeName`, SCOPES));
    errs.push(...validateEnum(e?.operator, `${p}.operator`, ['In', 'NotIn', 'Exists', 'DoesNotExist']));
  });
  return errs;
}

/** REQUEST and LIMIT cells: "name: used/hard" pairs, sorted by name, limits.* going to LIMIT. */
export function quotaCells(rq: KObject): [string, string] {
  const hard: Record<string, unknown> = rq.status?.hard ?? {};
  const used: Record<string, unknown> = rq.status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${String(used[name] ?? '0')}/${String(hard[name])}`;
    (name.split('.').length > 1 && name.split('.')[0] === 'limits' ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourcequotas: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  subresources: { status: true },
  prepareForCreate(rq) {
    rq.status = {};
  },
  validate: validateResourceQuota,
  validateStatusUpdate(rq) {
    return [...validateResourceList(rq.status?.hard, 'status.hard'), ...validateResourceList(rq.status?.used, 'status.used')];
  },
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Request', type: 'string', description: 'Request represents a minimum amount of cpu/memory that a container may consume.', priority: 0 },
      {
        name: 'Limit',
        type: 'string',
        description: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
        priority: 0,
      },
      AGE_COLUMN,
    ],
    row(rq, now) {
      const [request, limit] = quotaCells(rq);
      return [rq.metadata?.name, request, limit, age(rq.metadata?.creationTimestamp, now)];
    },
  },
};
