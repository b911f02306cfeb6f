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

export class RbacAuthorizer implements Authorizer {
  constructor(private readonly index: RbacIndex) {}

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    const subjects = subjectsOf(a.user);
    let errs: string[] | undefined;
    // Cluster-wide bindings first, then the RoleBindings of the request's namespace.
    const scopes = a.resourceRequest && a.namespace ? [undefined, a.namespace] : [undefined];
    for (const scope of scopes) {
      for (const s of subjects) {
        const bindings = this.index.bindingsFor(s, scope);
        if (!bindings) continue;
        for (const b of bindings) {
          const rules = this.index.rulesOf(b.roleRef, b.namespace);
          if (!rules) {
            (errs ??= []).push(notFound(b));
            continue;
          }
          for (const r of rules) if (ruleAllows(a, r)) return { decision: 'allow', reason: `RBAC: allowed by ${describeBinding(b, s)}` };
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
