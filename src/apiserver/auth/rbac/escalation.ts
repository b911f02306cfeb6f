// Escalation prevention, as Kubernetes' RBAC storage: a Role or ClusterRole may be written
// only by someone who holds every rule in it (or may `escalate` it), and a binding only by
// someone who holds every rule of the role it refers to (or may `bind` it). Members of
// system:masters and the server's own writes pass.
import type { KObject, ResourceDef } from '../../../api/types.js';
import { jsonEqual } from '../../../api/validation.js';
import { RBAC_GROUP } from '../../../api/rbac/rbac.js';
import type { AdmissionHook } from '../../rest/resource-store.js';
import { errors } from '../../status.js';
import type { UserInfo } from '../../types.js';
import type { Authorizer } from '../types.js';
import type { RbacAuthorizer } from './authorizer.js';
import type { RbacIndex } from './rbac-index.js';
import { compactString, uncovered } from './covers.js';
import { normalizeRules, type PolicyRule } from './rules.js';

const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function may(authz: Authorizer, user: UserInfo, verb: string, resource: string, namespace: string | undefined, name: string): boolean {
  return authz.authorize({ user, verb, resourceRequest: true, apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, namespace, name }).decision === 'allow';
}

export function escalationCheck(authz: () => Authorizer, rbac: RbacAuthorizer, index: RbacIndex): AdmissionHook {
  /** Throws Forbidden naming what `user` lacks of `wanted`. */
  function confirmNoEscalation(def: ResourceDef, obj: KObject, user: UserInfo, namespace: string | undefined, wanted: PolicyRule[]): void {
    const held = rbac.rulesFor(user, namespace);
    const missing = uncovered(held.rules, wanted);
    if (!missing.length) return;
    let msg = `user ${JSON.stringify(user.username)} (groups=[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactString).join('\n')}`;
    if (held.errors.length) msg += `; resolution errors: [${held.errors.join(' ')}]`;
    throw errors.forbidden(def.group, def.plural, obj.metadata?.name ?? '', msg);
  }

  return (op, def, obj, old, requester) => {
    if (op === 'delete' || !requester || def.group !== RBAC_GROUP) return;
    const user = requester.user;
    if (user.groups.includes('system:masters')) return;
    const ns = def.namespaced ? obj.metadata?.namespace : undefined;
    const name = obj.metadata?.name ?? '';
    if (def.plural === 'roles' || def.plural === 'clusterroles') {
      if (obj.aggregationRule && !(old && jsonEqual(old.aggregationRule, obj.aggregationRule))) {
        if (may(authz(), user, 'escalate', def.plural, ns, name)) return;
        if (uncovered(rbac.rulesFor(user, ns).rules, FULL_AUTHORITY).length)
          throw errors.forbidden(def.group, def.plural, name, 'must have cluster-admin privileges to use the aggregationRule');
        return;
      }
      // The aggregation controller writes rules it was allowed to aggregate; unchanged rules need no check.
      if (old && jsonEqual(old.rules ?? [], obj.rules ?? [])) return;
      if (may(authz(), user, 'escalate', def.plural, ns, name)) return;
      confirmNoEscalation(def, obj, user, ns, normalizeRules(obj.rules));
      return;
    }
    if (def.plural === 'rolebindings' || def.plural === 'clusterrolebindings') {
      const ref = obj.roleRef ?? {};
      if (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') return; // validation answers
      const refResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (may(authz(), user, 'bind', refResource, ns, String(ref.name ?? ''))) return;
      const rules = index.rulesOf({ kind: ref.kind, name: String(ref.name ?? '') }, ns);
      if (!rules) throw errors.notFound(RBAC_GROUP, refResource, String(ref.name ?? ''));
      confirmNoEscalation(def, obj, user, ns, rules);
    }
  };
}
