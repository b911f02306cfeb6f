// The Node authorizer: a node's kubelet (system:node:<name> in system:nodes) may do what
// the system:node rules allow, but Secrets, ConfigMaps, PersistentVolumeClaims, volumes and
// service-account tokens only for the pods bound to it — as Kubernetes' NodeAuthorizer.

import type { UserInfo } from '../../types.js';
import { nodeRules } from '../rbac/policy/node-rules.js';
import { ruleAllows } from '../rbac/rules.js';
import type { AuthorizationAttributes, AuthorizationResult, Authorizer } from '../types.js';
import type { NodeGraph } from './graph.js';

/** The node name of a node identity, '' for a node user without a name, undefined for anyone else. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.username.startsWith('system:node:') || !user.groups.includes('system:nodes')) return undefined;
  return user.username.slice('system:node:'.length);
}

const READ = new Set(['get', 'list', 'watch']);
const RULES = nodeRules();

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly graph: NodeGraph) {}

  authorize(a: AuthorizationAttributes): AuthorizationResult {
    const node = nodeNameOf(a.user);
    if (node === undefined) return { decision: 'no-opinion', reason: '' };
    if (!node) return { decision: 'deny', reason: 'unknown node for user' };
    const noPath = { decision: 'no-opinion' as const, reason: `no relationship found between node '${node}' and this object` };
    if (a.resourceRequest && a.apiGroup === '') {
      const sub = a.subresource ?? '';
      switch (a.resource) {
        case 'secrets':
        case 'configmaps':
          if (sub) break;
          if (!READ.has(a.verb)) return { decision: 'no-opinion', reason: 'can only read resources of this type' };
          if (!a.name) return { decision: 'no-opinion', reason: 'can only read individual resources of this type' };
          return this.graph.hasPath(node, a.resource, a.namespace, a.name) ? allowed() : noPath;
        case 'persistentvolumeclaims':
        case 'persistentvolumes':
          if (sub === 'status' && a.resource === 'persistentvolumeclaims') {
            if (a.verb !== 'get' && a.verb !== 'update' && a.verb !== 'patch')
              return { decision: 'no-opinion', reason: 'can only get or update persistentvolumeclaim status' };
            return a.name && this.graph.hasPath(node, a.resource, a.namespace, a.name) ? allowed() : noPath;
          }
          if (sub) break;
          if (a.verb !== 'get') return { decision: 'no-opinion', reason: 'can only get individual resources of this type' };
          return a.name && this.graph.hasPath(node, a.resource, a.namespace, a.name) ? allowed() : noPath;
        case 'serviceaccounts':
          if (sub !== 'token') break;
          if (a.verb !== 'create') return { decision: 'no-opinion', reason: 'can only create tokens for individual service accounts' };
          return a.name && this.graph.hasPath(node, 'serviceaccounts', a.namespace, a.name) ? allowed() : noPath;
      }
    }
    for (const r of RULES) if (ruleAllows(a, r)) return allowed();
    return { decision: 'no-opinion', reason: '' };
  }
}

function allowed(): AuthorizationResult {
  return { decision: 'allow', reason: '' };
}
