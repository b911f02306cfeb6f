// Roles of Skiff's own components that Kubernetes runs as add-ons with roles of their own
// (CoreDNS's system:coredns, an ingress controller's, k3s's servicelb and local-path
// provisioner): the cluster DNS, which also publishes each node's DNS endpoint, the built-in
// ingress controller, the service load balancer and the local-path provisioner.
import type { KObject } from '../../../../api/types.js';
import { AGENT_DNS_GROUP, AGENT_INGRESS_GROUP, AGENT_PROXY_USER } from '../../../../api/certificates/agent-components.js';
import { clusterRole, clusterRoleBinding, eventsRule, group, READ, rule, serviceAccount, type Subject, user } from './helpers.js';

/**
 * A joined agent's proxy, DNS and ingress act as identities of their own (certificates the
 * node asks for: system:kube-proxy, system:skiff-dns:<node> in system:skiff-dns,
 * system:skiff-ingress:<node> in system:skiff-ingress), never as the node. The agents'
 * ingress identity gets no Secrets (skiff:ingress-controller-tls): any node may obtain it, and
 * a node reads only its own pods' Secrets.
 */

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
      rule(READ, [''], ['services', 'configmaps', 'nodes']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      eventsRule(),
    ]),
    // The TLS certificates of Ingresses: for the ingress controller's own identity only.
    clusterRole('skiff:ingress-controller-tls', [rule(READ, [''], ['secrets'])]),
    // Skiff's own controllers, as k3s runs them: the load balancer writes Services' status,
    // the local-path provisioner makes, binds and removes volumes and the default class.
    clusterRole('skiff:servicelb', [rule(READ, [''], ['services', 'nodes']), rule(['update', 'patch'], [''], ['services/status']), eventsRule()]),
    clusterRole('skiff:local-path-provisioner', [
      rule(READ, [''], ['nodes']),
      rule(['get', 'list', 'watch', 'update', 'patch'], [''], ['persistentvolumeclaims']),
      rule(['update', 'patch'], [''], ['persistentvolumeclaims/status']),
      rule(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], [''], ['persistentvolumes']),
      rule(['update', 'patch'], [''], ['persistentvolumes/status']),
      rule(['get', 'list', 'watch', 'create'], ['storage.k8s.io'], ['storageclasses']),
      eventsRule(),
    ]),
    // The metrics server's, by the name its manifests give it: it reads nodes and pods and scrapes the agents.
    clusterRole('system:metrics-server', [rule(READ, [''], ['nodes', 'pods']), rule(['get'], [''], ['nodes/metrics'])]),
    // Skiff's scheduler reads PriorityClasses itself (for pods created before their class),
    // where Kubernetes' resolves priorities only at admission.
    clusterRole('skiff:kube-scheduler', [rule(READ, ['scheduling.k8s.io'], ['priorityclasses'])]),
  ];
}

export function skiffClusterRoleBindings(): KObject[] {
  return [
    clusterRoleBinding('skiff:cluster-dns', 'skiff:cluster-dns', [serviceAccount('kube-system', 'coredns'), group(AGENT_DNS_GROUP)]),
    clusterRoleBinding('skiff:ingress-controller', 'skiff:ingress-controller', [serviceAccount('kube-system', 'skiff-ingress'), group(AGENT_INGRESS_GROUP)]),
    clusterRoleBinding('skiff:ingress-controller-tls', 'skiff:ingress-controller-tls', [serviceAccount('kube-system', 'skiff-ingress')]),
    clusterRoleBinding('skiff:servicelb', 'skiff:servicelb', [serviceAccount('kube-system', 'servicelb')]),
    clusterRoleBinding('skiff:local-path-provisioner', 'skiff:local-path-provisioner', [
      serviceAccount('kube-system', 'local-path-provisioner-service-account'),
    ]),
    clusterRoleBinding('system:metrics-server', 'system:metrics-server', [serviceAccount('kube-system', 'metrics-server')]),
    clusterRoleBinding('skiff:kube-scheduler', 'skiff:kube-scheduler', [user('system:kube-scheduler')]),
    // What kubeadm binds for TLS bootstrapping: agents joining with a bootstrap token may ask
    // for a node client certificate (auto-approved), and nodes may renew their own.
    clusterRoleBinding('skiff:kubelet-bootstrap', 'system:node-bootstrapper', [group('system:bootstrappers')]),
    clusterRoleBinding('skiff:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', [group('system:bootstrappers')]),
    clusterRoleBinding('skiff:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [
      group('system:nodes'),
    ]),
    // Joined agents' service proxies, as system:kube-proxy (which system:node-proxier binds too).
    clusterRoleBinding('skiff:agents-node-proxier', 'system:node-proxier', [user(AGENT_PROXY_USER)]),
  ];
}

/**
 * Subjects earlier versions bound and reconciliation takes away (it otherwise only adds):
 * the node group no longer acts as the agents' proxy, DNS and ingress.
 */
export function retiredBindingSubjects(): Record<string, Subject[]> {
  const nodes = [group('system:nodes')];
  return { 'skiff:cluster-dns': nodes, 'skiff:ingress-controller': nodes, 'skiff:agents-node-proxier': nodes };
}
