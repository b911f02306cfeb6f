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

/** An authenticated user is one object per connection or cached token: its subject keys are built once. */
const subjectCache = new WeakMap<UserInfo, string[]>();

function cachedSubjects(user: UserInfo): string[] {
  let s = subjectCache.get(user);
  if (!s) subjectCache.set(user, (s = subjectsOf(user)));
  return s;
}

const NO_OPINION: AuthorizationResult = Object.freeze({ decision: 'no-opinion', reason: '' });

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

/** A rule with the binding that grants it (to `subject`), and the answer it gives once asked. */
interface Grant {
  rule: PolicyRule;
  binding: IndexedBinding;
  subject: string;
  allowed?: AuthorizationResult;
}

/** The same frozen answer for every request a grant allows: no reason string built per request. */
function allowedBy(g: Grant): AuthorizationResult {
  g.allowed ??= Object.freeze({ decision: 'allow', reason: `RBAC: allowed by ${describeBinding(g.binding, g.subject)}` });
  return g.allowed;
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
  /** scope (a namespace, '' for cluster-wide) → subject → grant table; keyed in two steps so a lookup builds no string */
  private readonly tables = new Map<string, Map<string, GrantTable>>();

  constructor(private readonly index: RbacIndex) {}

  private table(subject: string, scope: string | undefined): GrantTable | undefined {
    const gen = this.index.generation;
    let inScope = this.tables.get(scope ?? '');
    const t = inScope?.get(subject);
    if (t && t.generation === gen) return t;
    const bindings = this.index.bindingsFor(subject, scope);
    if (!bindings) {
      if (t) {
        inScope!.delete(subject);
        if (!inScope!.size) this.tables.delete(scope ?? '');
      }
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
        const g: Grant = { rule, binding, subject };
        const res = rule.resources ?? [];
        if (!res.length || res.some((r) => r === '*' || r.startsWith('*/'))) table.other.push(g);
        else for (const r of res) push(table.byResource, r.split('/')[0]!, g);
      }
    }
    if (!inScope) this.tables.set(scope ?? '', (inScope = new Map()));
    inScope.set(subject, table);
    return table;
  }

  // Sits on every request: it allocates nothing when a request is allowed by a table already built.
  authorize(a: AuthorizationAttributes): AuthorizationResult {
    const subjects = cachedSubjects(a.user);
    const namespaced = a.resourceRequest && !!a.namespace;
    // Cluster-wide bindings first, then the RoleBindings of the request's namespace.
    const allowed = this.allowedIn(a, subjects, undefined) ?? (namespaced ? this.allowedIn(a, subjects, a.namespace) : undefined);
    if (allowed) return allowed;
    // Not allowed: the reason names the roles that bindings refer to but that do not exist.
    const errs: string[] = [];
    for (const scope of namespaced ? [undefined, a.namespace] : [undefined])
      for (const s of subjects) {
        const t = this.table(s, scope);
        if (t) errs.push(...t.errors);
      }
    if (!errs.length) return NO_OPINION;
    return { decision: 'no-opinion', reason: `RBAC: ${errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`}` };
  }

  private allowedIn(a: AuthorizationAttributes, subjects: string[], scope: string | undefined): AuthorizationResult | undefined {
    for (const s of subjects) {
      const t = this.table(s, scope);
      if (!t) continue;
      const candidates = a.resourceRequest ? t.byResource.get(a.resource ?? '') : undefined;
      if (candidates) for (const g of candidates) if (ruleAllows(a, g.rule)) return allowedBy(g);
      for (const g of t.other) if (ruleAllows(a, g.rule)) return allowedBy(g);
    }
    return undefined;
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
