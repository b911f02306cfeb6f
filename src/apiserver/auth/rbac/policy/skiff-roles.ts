// Roles of Skiff's own node components that Kubernetes runs as add-ons with roles of their
// own (CoreDNS's system:coredns, an ingress controller's): the cluster DNS, which also
// publishes each node's DNS endpoint, and the built-in ingress controller.
import type { KObject } from '../../../../api/types.js';
import { clusterRole, clusterRoleBinding, eventsRule, group, READ, rule, serviceAccount, user } from './helpers.js';

/** The group node agents joined with the shared join token are in (their proxy, DNS and ingress act with the node's credentials). */
export const JOINED_AGENTS_GROUP = 'skiff:agents';

export function skiffClusterRoles(): KObject[] {
  return [
    clusterRole('skiff:cluster-dns', [
      rule(['list', 'watch'], [''], ['services', 'endpoints', 'pods']),
      rule(['get', 'list', 'watch', 'create', 'update', 'delete'], ['discovery.k8s.io'], ['endpointslices']),
      rule(['get'], [''], ['nodes']),
      rule(['get', 'list', 'watch'], [''], ['configmaps'], ['skiff-dns']),
      eventsRule(),
    ]),
    clusterRole('skiff:ingress-controller', [
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingressclasses']),
      rule(['update', 'patch'], ['networking.k8s.io'], ['ingresses/status']),
      rule(READ, [''], ['services', 'secrets', 'configmaps', 'nodes']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      eventsRule(),
    ]),
    // Skiff's scheduler reads PriorityClasses itself (for pods created before their class),
    // where Kubernetes' resolves priorities only at admission.
    clusterRole('skiff:kube-scheduler', [rule(READ, ['scheduling.k8s.io'], ['priorityclasses'])]),
  ];
}

export function skiffClusterRoleBindings(): KObject[] {
  return [
    clusterRoleBinding('skiff:cluster-dns', 'skiff:cluster-dns', [serviceAccount('kube-system', 'coredns'), group(JOINED_AGENTS_GROUP)]),
    clusterRoleBinding('skiff:ingress-controller', 'skiff:ingress-controller', [serviceAccount('kube-system', 'skiff-ingress'), group(JOINED_AGENTS_GROUP)]),
    clusterRoleBinding('skiff:kube-scheduler', 'skiff:kube-scheduler', [user('system:kube-scheduler')]),
    // A joined agent's service proxy runs with the node's credentials until agents get a
    // kube-proxy identity of their own.
    clusterRoleBinding('skiff:agents-node-proxier', 'system:node-proxier', [group(JOINED_AGENTS_GROUP), user('system:kube-proxy')]),
  ];
}
