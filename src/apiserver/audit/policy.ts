// kube-apiserver's audit Policy (audit.k8s.io/v1): rules checked in order, the first that
// matches a request sets its level; no match means the request is not audited.
import YAML from 'yaml';
import type { UserInfo } from '../types.js';

export const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type AuditLevel = (typeof LEVELS)[number];
export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type AuditStage = (typeof STAGES)[number];

interface GroupResources {
  group: string;
  resources: string[];
  resourceNames: string[];
}

interface PolicyRule {
  level: AuditLevel;
  users: string[];
  userGroups: string[];
  verbs: string[];
  resources: GroupResources[];
  namespaces: string[];
  nonResourceURLs: string[];
  omitStages: AuditStage[];
  omitManagedFields?: boolean;
}

export interface AuditPolicy {
  rules: PolicyRule[];
  omitStages: AuditStage[];
  omitManagedFields: boolean;
}

/** What the policy decides on: the request as the authorizer sees it. */
export interface AuditAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path: string;
}

export interface AuditDecision {
  level: AuditLevel;
  omitStages: Set<AuditStage>;
  omitManagedFields: boolean;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

function oneOf<T extends string>(allowed: readonly T[], v: unknown, path: string, problems: string[]): T | undefined {
  if (allowed.includes(v as T)) return v as T;
  problems.push(`${path}: Unsupported value: ${JSON.stringify(v ?? '')}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}`);
  return undefined;
}

function stagesAt(v: unknown, path: string, problems: string[]): AuditStage[] {
  return strings(v)
    .map((s, i) => oneOf(STAGES, s, `${path}[${i}]`, problems))
    .filter((s): s is AuditStage => !!s);
}

/** Parses a policy file's text; throws naming every problem with its field path. */
export function parseAuditPolicy(text: string, file: string): AuditPolicy {
  let doc: Record<string, any>;
  try {
    doc = YAML.parse(text) ?? {};
  } catch (err) {
    throw new Error(`audit policy ${file}: not YAML or JSON: ${(err as Error).message}`);
  }
  const problems: string[] = [];
  if (doc.kind !== 'Policy' || !/^audit\.k8s\.io\/v1(beta1)?$/.test(String(doc.apiVersion)))
    problems.push(`kind/apiVersion: Invalid value: "${doc.apiVersion}/${doc.kind}": must be audit.k8s.io/v1 Policy`);
  const rules = (Array.isArray(doc.rules) ? doc.rules : []).map((r: Record<string, any>, i: number): PolicyRule => {
    const at = `rules[${i}]`;
    const resources = (Array.isArray(r?.resources) ? r.resources : []).map((g: Record<string, unknown>) => ({
      group: String(g?.group ?? ''),
      resources: strings(g?.resources),
      resourceNames: strings(g?.resourceNames),
    }));
    const nonResourceURLs = strings(r?.nonResourceURLs);
    if (nonResourceURLs.length && (resources.length || strings(r?.namespaces).length))
      problems.push(
        `${at}.nonResourceURLs: Invalid value: ${JSON.stringify(nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`,
      );
    nonResourceURLs.forEach((u, j) => {
      if (!u.startsWith('/') && u !== '*')
        problems.push(`${at}.nonResourceURLs[${j}]: Invalid value: "${u}": non-resource URL rules must begin with a '/' character`);
      if (u.slice(0, -1).includes('*'))
        problems.push(`${at}.nonResourceURLs[${j}]: Invalid value: "${u}": non-resource URL wildcards ('*') must be the final character of the rule`);
    });
    return {
      level: oneOf(LEVELS, r?.level, `${at}.level`, problems) ?? 'None',
      users: strings(r?.users),
      userGroups: strings(r?.userGroups),
      verbs: strings(r?.verbs),
      resources,
      namespaces: strings(r?.namespaces),
      nonResourceURLs,
      omitStages: stagesAt(r?.omitStages, `${at}.omitStages`, problems),
      omitManagedFields: typeof r?.omitManagedFields === 'boolean' ? r.omitManagedFields : undefined,
    };
  });
  const omitStages = stagesAt(doc.omitStages, 'omitStages', problems);
  if (problems.length) throw new Error(`invalid audit policy ${file}: ${problems.join('; ')}`);
  return { rules, omitStages, omitManagedFields: doc.omitManagedFields === true };
}

function urlMatches(patterns: string[], path: string): boolean {
  return patterns.some((p) => p === '*' || p === path || (p.endsWith('*') && path.startsWith(p.slice(0, -1))));
}

function resourceMatches(rule: PolicyRule, a: AuditAttributes): boolean {
  if (rule.namespaces.length && !rule.namespaces.includes(a.namespace ?? '')) return false;
  if (!rule.resources.length) return true;
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource!;
  return rule.resources.some((g) => {
    if (g.group !== (a.apiGroup ?? '')) return false;
    if (g.resourceNames.length && !g.resourceNames.includes(a.name ?? '')) return false;
    if (!g.resources.length) return true;
    return g.resources.some((r) => r === full || r === '*' || (a.subresource && (r === `*/${a.subresource}` || r === `${a.resource}/*`)));
  });
}

function ruleMatches(rule: PolicyRule, a: AuditAttributes): boolean {
  if (rule.users.length && !rule.users.includes(a.user.username)) return false;
  if (rule.userGroups.length && !rule.userGroups.some((g) => a.user.groups.includes(g))) return false;
  if (rule.verbs.length && !rule.verbs.includes(a.verb)) return false;
  if (a.resourceRequest) return !rule.nonResourceURLs.length && resourceMatches(rule, a);
  // A rule about resources or namespaces says nothing about non-resource paths.
  if (rule.resources.length || rule.namespaces.length) return false;
  return !rule.nonResourceURLs.length || urlMatches(rule.nonResourceURLs, a.path);
}

export function decide(policy: AuditPolicy, a: AuditAttributes): AuditDecision {
  const rule = policy.rules.find((r) => ruleMatches(r, a));
  if (!rule) return { level: 'None', omitStages: new Set(), omitManagedFields: false };
  return {
    level: rule.level,
    omitStages: new Set([...policy.omitStages, ...rule.omitStages]),
    omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields,
  };
}
