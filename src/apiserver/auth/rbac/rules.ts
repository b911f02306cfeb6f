// One PolicyRule against one request, as Kubernetes' rbac.RuleAllows: verbs, API groups,
// resources (with `resource/subresource`, `*/sub` and `*`), resourceNames, and
// non-resource URLs (exact, or a prefix ending in `*`).
import type { AuthorizationAttributes } from '../types.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

function has(list: string[] | undefined, v: string): boolean {
  if (!list) return false;
  for (const x of list) if (x === '*' || x === v) return true;
  return false;
}

function resourceMatches(rule: PolicyRule, resource: string, sub: string | undefined): boolean {
  const list = rule.resources;
  if (!list) return false;
  const combined = sub ? `${resource}/${sub}` : resource;
  for (const r of list) {
    if (r === '*' || r === combined) return true;
    // `*/scale` grants the scale subresource of every resource.
    if (sub && r.length === sub.length + 2 && r.startsWith('*/') && r.endsWith(sub)) return true;
  }
  return false;
}

export function nonResourceURLMatches(patterns: string[] | undefined, path: string): boolean {
  if (!patterns) return false;
  for (const p of patterns) {
    if (p === '*' || p === path) return true;
    if (p.endsWith('*') && path.startsWith(p.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(a: AuthorizationAttributes, rule: PolicyRule): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) return nonResourceURLMatches(rule.nonResourceURLs, a.path ?? '');
  if (!has(rule.apiGroups, a.apiGroup ?? '')) return false;
  if (!resourceMatches(rule, a.resource ?? '', a.subresource)) return false;
  const names = rule.resourceNames;
  if (!names || names.length === 0) return true;
  return !!a.name && names.includes(a.name);
}

/** A rule from a stored object, with its lists as arrays (bad entries dropped, not trusted). */
export function normalizeRule(r: any): PolicyRule | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  const verbs = strs(r.verbs);
  if (!verbs?.length) return undefined;
  return { verbs, apiGroups: strs(r.apiGroups), resources: strs(r.resources), resourceNames: strs(r.resourceNames), nonResourceURLs: strs(r.nonResourceURLs) };
}

export function normalizeRules(rules: unknown): PolicyRule[] {
  if (!Array.isArray(rules)) return [];
  const out: PolicyRule[] = [];
  for (const r of rules) {
    const n = normalizeRule(r);
    if (n) out.push(n);
  }
  return out;
}
