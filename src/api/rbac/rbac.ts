import type { FieldError, KObject, ResourceDef, TableDef } from '../types.js';
import { fieldErr, isDNS1123Label, isDNS1123Subdomain, jsonEqual, validateLabelSelector } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { invalidRaw } from '../apps/selector.js';
import { formatTime } from '../../util/time.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RBAC names are path segments, so `system:controller:foo` is a valid name. */
export function rbacNameErrors(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

function validateRule(rule: any, path: string, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const nonEmpty = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (!nonEmpty(rule?.verbs)) errs.push(fieldErr.required(`${path}.verbs`, 'verbs must contain at least one value'));
  if (nonEmpty(rule?.nonResourceURLs)) {
    if (namespaced) errs.push(fieldErr.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (nonEmpty(rule.apiGroups) || nonEmpty(rule.resources) || nonEmpty(rule.resourceNames))
      errs.push(fieldErr.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    return errs;
  }
  if (!nonEmpty(rule?.apiGroups)) errs.push(fieldErr.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!nonEmpty(rule?.resources)) errs.push(fieldErr.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(obj: KObject, namespaced: boolean): FieldError[] {
  return (Array.isArray(obj.rules) ? obj.rules : []).flatMap((r: any, i: number) => validateRule(r, `rules[${i}]`, namespaced));
}

function validateAggregation(obj: KObject): FieldError[] {
  const agg = obj.aggregationRule;
  if (!agg) return [];
  const sels: any[] = Array.isArray(agg.clusterRoleSelectors) ? agg.clusterRoleSelectors : [];
  if (!sels.length)
    return [fieldErr.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil')];
  return sels.flatMap((s, i) => validateLabelSelector(s, `aggregationRule.clusterRoleSelectors[${i}]`));
}

function defaultSubjectsAndRef(obj: KObject): void {
  if (obj.roleRef && typeof obj.roleRef === 'object') obj.roleRef.apiGroup ||= RBAC_GROUP;
  for (const s of Array.isArray(obj.subjects) ? obj.subjects : [])
    if (s && typeof s === 'object' && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group')) s.apiGroup = RBAC_GROUP;
}

function validateSubject(s: any, path: string, bindingNamespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = String(s?.name ?? '');
  if (!name) errs.push(fieldErr.required(`${path}.name`));
  switch (s?.kind) {
    case 'ServiceAccount':
      if (name) for (const m of isDNS1123Subdomain(name)) errs.push(fieldErr.invalid(`${path}.name`, name, m));
      if (s.apiGroup) errs.push(fieldErr.notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!bindingNamespaced && !s.namespace) errs.push(fieldErr.required(`${path}.namespace`));
      if (s.namespace) for (const m of isDNS1123Label(String(s.namespace))) errs.push(fieldErr.invalid(`${path}.namespace`, s.namespace, m));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(fieldErr.notSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldErr.notSupported(`${path}.kind`, s?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) errs.push(fieldErr.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(fieldErr.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errs.push(fieldErr.required('roleRef.name'));
  else for (const m of rbacNameErrors(String(ref.name))) errs.push(fieldErr.invalid('roleRef.name', ref.name, m));
  (Array.isArray(obj.subjects) ? obj.subjects : []).forEach((s: any, i: number) => {
    errs.push(...validateSubject(s, `subjects[${i}]`, namespaced));
  });
  return errs;
}

/** roleRef is fixed: changing what a binding grants is a new binding (delete and recreate). */
function validateBindingUpdate(obj: KObject, old: KObject): FieldError[] {
  if (jsonEqual(obj.roleRef, old.roleRef)) return [];
  const r = obj.roleRef ?? {};
  const rendered = `rbac.RoleRef{APIGroup:${JSON.stringify(String(r.apiGroup ?? ''))}, Kind:${JSON.stringify(String(r.kind ?? ''))}, Name:${JSON.stringify(String(r.name ?? ''))}}`;
  return [invalidRaw('roleRef', rendered, 'cannot change roleRef')];
}

/** The default table of resources without a printer: NAME and CREATED AT. */
const CREATED_AT_TABLE: TableDef = {
  columns: [NAME_COLUMN, { name: 'Created At', type: 'date', description: AGE_COLUMN.description, priority: 0 }],
  row(o) {
    const t = Date.parse(o.metadata?.creationTimestamp ?? '');
    return [o.metadata?.name, Number.isNaN(t) ? '0001-01-01T00:00:00Z' : formatTime(t)];
  },
};

/** rbac.SubjectsStrings, joined the way the binding printers do. */
function subjectCells(obj: KObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of Array.isArray(obj.subjects) ? obj.subjects : []) {
    if (s?.kind === 'User') users.push(s.name);
    else if (s?.kind === 'Group') groups.push(s.name);
    else if (s?.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingTable(what: string): TableDef {
  return {
    columns: [
      NAME_COLUMN,
      {
        name: 'Role',
        type: 'string',
        description:
          'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.',
        priority: 0,
      },
      AGE_COLUMN,
      { name: 'Users', type: 'string', description: `Users in the ${what}`, priority: 1 },
      { name: 'Groups', type: 'string', description: `Groups in the ${what}`, priority: 1 },
      { name: 'ServiceAccounts', type: 'string', description: `ServiceAccounts in the ${what}`, priority: 1 },
    ],
    row(o, now) {
      return [o.metadata?.name, `${o.roleRef?.kind ?? ''}/${o.roleRef?.name ?? ''}`, age(o.metadata?.creationTimestamp, now), ...subjectCells(o)];
    },
  };
}

const base = { group: RBAC_GROUP, version: 'v1', validateName: rbacNameErrors } as const;

export const roles: ResourceDef = {
  ...base,
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  validate: (obj) => validateRules(obj, true),
  table: CREATED_AT_TABLE,
};

export const clusterroles: ResourceDef = {
  ...base,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  validate: (obj) => [...validateRules(obj, false), ...validateAggregation(obj)],
  table: CREATED_AT_TABLE,
};

export const rolebindings: ResourceDef = {
  ...base,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  defaults: defaultSubjectsAndRef,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: validateBindingUpdate,
  table: bindingTable('roleBinding'),
};

export const clusterrolebindings: ResourceDef = {
  ...base,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  defaults: defaultSubjectsAndRef,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: validateBindingUpdate,
  table: bindingTable('clusterRoleBinding'),
};
