// The RBAC authorizer: allows a request when a binding naming the user (or one of their
// groups) refers to a role with a rule that allows it; otherwise it has no opinion, with
// the roles it could not find as the reason, as Kubernetes' RBACAuthorizer.
import type { UserInfo } from '../../types.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from '../types.js';
import type { IndexedBinding, RbacIndex } from './rbac-index.js';
import { ruleAllows, type PolicyRule } from './rules.js';

function subjectsOf(user: UserInfo): string[] {
  const out = [`u:${user.username}`];
  for (const g of user.groups) out.push(`g:${g}`);
  return out;
}

function describeSubject(key: string): string {
  if (key.startsWith('g:')) return `Group ${JSON.stringify(key.slice(2))}`;
  const name = key.slice(2);
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  if (sa) return `ServiceAccount ${JSON.stringify(`${sa[1]}/${sa[2]}`)}`;
  return `User ${JSON.stringify(name)}`;
}

function describeBinding(b: IndexedBinding, subject: string): string {
  const name = b.namespace === undefined ? b.name : `${b.name}/${b.namespace}`;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(subject)}`;
}

function notFound(b: IndexedBinding): string {
  return `${b.roleRef.kind === 'Role' ? 'role' : 'clusterrole'}.rbac.authorization.k8s.io ${JSON.stringify(b.roleRef.name)} not found`;
}

/** A rule with the binding that grants it. */
interface Grant {
  rule: PolicyRule;
  binding: IndexedBinding;
}

/**
 * The grants of one subject in one scope, sorted by the resource they name, so that a
 * request looks only at rules that could match it — not at every binding of a group bound
 * a thousand times. Valid for one generation of the index.
 */
interface GrantTable {
  generation: number;
  byResource: Map<string, Grant[]>;
  /** Rules naming every resource or a subresource of every resource, and non-resource rules. */
  other: Grant[];
  errors: string[];
}

function push(map: Map<string, Grant[]>, key: string, g: Grant): void {
  const list = map.get(key);
  if (list) {
    if (list[list.length - 1] !== g) list.push(g);
  } else map.set(key, [g]);
}

export class RbacAuthorizer implements Authorizer {
  /** `<scope>\0<subject>` → grant table */
  private readonly tables = new Map<string, GrantTable>();

  constructor(private readonly index: RbacIndex) {}

  private table(subject: string, scope: string | undefined): GrantTable | undefined {
    const key = `${scope ?? ''}\0${subject}`;
    const gen = this.index.generation;
    const t = this.tables.get(key);
    if (t && t.generation === gen) return t;
    const bindings = this.index.bindingsFor(subject, scope);
    if (!bindings) {
      if (t) this.tables.delete(key);
      return undefined;
    }
    const table: GrantTable = { generation: gen, byResource: new Map(), other: [], errors: [] };
    for (const binding of bindings) {
      const rules = this.index.rulesOf(binding.roleRef, binding.namespace);
      if (!rules) {
        table.errors.push(notFound(binding));
        continue;
      }
      for (const rule of rules) {
        const g = { rule, binding };
        const res = rule.resources ?? [];
        if (!res.length || res.some((r) => r === '*' || r.startsWith('*/'))) table.other.push(g);
        else for (const r of res) push(table.byResource, r.split('/')[0]!, g);
      }
    }
    this.tables.set(key, table);
    return table;
  }

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    const subjects = subjectsOf(a.user);
    let errs: string[] | undefined;
    // Cluster-wide bindings first, then the RoleBindings of the request's namespace.
    const scopes = a.resourceRequest && a.namespace ? [undefined, a.namespace] : [undefined];
    for (const scope of scopes) {
      for (const s of subjects) {
        const t = this.table(s, scope);
        if (!t) continue;
        if (t.errors.length) (errs ??= []).push(...t.errors);
        const candidates = a.resourceRequest ? t.byResource.get(a.resource ?? '') : undefined;
        for (const list of [candidates, t.other]) {
          if (!list) continue;
          for (const g of list) if (ruleAllows(a, g.rule)) return { decision: 'allow', reason: `RBAC: allowed by ${describeBinding(g.binding, s)}` };
        }
      }
    }
    if (!errs) return { decision: 'no-opinion', reason: '' };
    return { decision: 'no-opinion', reason: `RBAC: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}` };
  }

  /** Every rule the user holds in `namespace` (cluster-wide ones included), for rules reviews and escalation checks. */
  rulesFor(user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    const seen = new Set<IndexedBinding>();
    for (const scope of namespace ? [undefined, namespace] : [undefined]) {
      for (const s of subjectsOf(user)) {
        for (const b of this.index.bindingsFor(s, scope) ?? []) {
          if (seen.has(b)) continue;
          seen.add(b);
          const r = this.index.rulesOf(b.roleRef, b.namespace);
          if (r) rules.push(...r);
          else errors.push(notFound(b));
        }
      }
    }
    return { rules, errors };
  }
}
