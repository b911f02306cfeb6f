// Kinds of the smaller groups: coordination, discovery, events, networking, policy, rbac,
// storage and scheduling (autoscaling is in autoscaling.ts).
import './core-kinds.js';
import { arr, bool, conditions, core, gv, i64, int, ios, kindWithList, microTime, ref, selector, str, strMap, time, type } from './dsl.js';

const COORD = 'io.k8s.api.coordination.v1.';
type(`${COORD}LeaseSpec`, 'Who holds a lease and until when.', {
  holderIdentity: str('Current holder.'),
  leaseDurationSeconds: int('Seconds the holder keeps the lease after its last renewal.'),
  acquireTime: microTime('When the current holder acquired it.'),
  renewTime: microTime('When the holder last renewed it.'),
  leaseTransitions: int('Times the lease changed holders.'),
  strategy: str('Strategy for picking a leader.'),
  preferredHolder: str('Holder to hand the lease to.'),
});
kindWithList(`${COORD}Lease`, gv('coordination.k8s.io', 'v1')('Lease'), 'A lease, for leader election and node heartbeats.', {
  spec: ref(`${COORD}LeaseSpec`, 'The lease.'),
});

const DISC = 'io.k8s.api.discovery.v1.';
type(`${DISC}EndpointConditions`, 'State of an endpoint.', {
  ready: bool('Ready to receive traffic.'),
  serving: bool('Serving, even while terminating.'),
  terminating: bool('Terminating.'),
});
type(`${DISC}ForZone`, 'A zone hint.', { name: str('Zone name.') }, { required: ['name'] });
type(`${DISC}EndpointHints`, 'Routing hints.', { forZones: arr(ref(`${DISC}ForZone`), 'Zones that should use this endpoint.') });
type(
  `${DISC}Endpoint`,
  'One backend of a Service.',
  {
    addresses: { type: 'array', items: str(), description: 'Addresses of the endpoint.', 'x-kubernetes-list-type': 'set' },
    conditions: ref(`${DISC}EndpointConditions`, 'State.'),
    hostname: str('Host name.'),
    targetRef: core('ObjectReference', 'The pod.'),
    deprecatedTopology: strMap('Deprecated topology labels.'),
    nodeName: str('Node.'),
    zone: str('Zone.'),
    hints: ref(`${DISC}EndpointHints`, 'Routing hints.'),
  },
  { required: ['addresses'] },
);
type(
  `${DISC}EndpointPort`,
  'A port of the endpoints.',
  { name: str('Name, matching the Service port.'), protocol: str('Protocol.'), port: int('Port.'), appProtocol: str('Application protocol.') },
  { ext: { 'x-kubernetes-map-type': 'atomic' } },
);
kindWithList(
  `${DISC}EndpointSlice`,
  gv('discovery.k8s.io', 'v1')('EndpointSlice'),
  'A subset of the endpoints of a Service.',
  {
    addressType: str('IPv4, IPv6 or FQDN.'),
    endpoints: arr(ref(`${DISC}Endpoint`), 'The endpoints.'),
    ports: arr(ref(`${DISC}EndpointPort`), 'Ports of every endpoint.'),
  },
  ['addressType', 'endpoints'],
);

const EV = 'io.k8s.api.events.v1.';
type(
  `${EV}EventSeries`,
  'A series of repeated events.',
  { count: int('Occurrences.'), lastObservedTime: microTime('Last occurrence.') },
  { required: ['count', 'lastObservedTime'] },
);
kindWithList(
  `${EV}Event`,
  gv('events.k8s.io', 'v1')('Event'),
  'A report of something that happened to an object.',
  {
    eventTime: microTime('When first observed.'),
    series: ref(`${EV}EventSeries`, 'Series data.'),
    reportingController: str('Reporting controller.'),
    reportingInstance: str('Reporting instance.'),
    action: str('Action taken.'),
    reason: str('Short machine-readable reason.'),
    regarding: core('ObjectReference', 'The object concerned.'),
    related: core('ObjectReference', 'A second object concerned.'),
    note: str('Human-readable description.'),
    type: str('Normal or Warning.'),
    deprecatedSource: core('EventSource', 'Deprecated.'),
    deprecatedFirstTimestamp: time('Deprecated.'),
    deprecatedLastTimestamp: time('Deprecated.'),
    deprecatedCount: int('Deprecated.'),
  },
  ['eventTime'],
);

const NET = 'io.k8s.api.networking.v1.';
type(`${NET}ServiceBackendPort`, 'A port of a Service.', { name: str('Port name.'), number: int('Port number.') });
type(
  `${NET}IngressServiceBackend`,
  'A Service as backend.',
  { name: str('Service name.'), port: ref(`${NET}ServiceBackendPort`, 'Service port.') },
  { required: ['name'] },
);
type(`${NET}IngressBackend`, 'Where traffic goes.', {
  service: ref(`${NET}IngressServiceBackend`, 'A Service.'),
  resource: core('TypedLocalObjectReference', 'Another object.'),
});
type(
  `${NET}HTTPIngressPath`,
  'A path and its backend.',
  { path: str('Path to match.'), pathType: str('Exact, Prefix or ImplementationSpecific.'), backend: ref(`${NET}IngressBackend`, 'Backend.') },
  { required: ['pathType', 'backend'] },
);
type(`${NET}HTTPIngressRuleValue`, 'HTTP paths.', { paths: arr(ref(`${NET}HTTPIngressPath`), 'Paths.') }, { required: ['paths'] });
type(`${NET}IngressRule`, 'Routes for a host.', { host: str('Host name; all hosts when empty.'), http: ref(`${NET}HTTPIngressRuleValue`, 'HTTP routes.') });
type(`${NET}IngressTLS`, 'TLS for some hosts.', { hosts: arr(str(), 'Hosts in the certificate.'), secretName: str('Secret with the certificate and key.') });
type(`${NET}IngressSpec`, 'Desired state of an Ingress.', {
  ingressClassName: str('IngressClass that implements it.'),
  defaultBackend: ref(`${NET}IngressBackend`, 'Backend for unmatched requests.'),
  tls: arr(ref(`${NET}IngressTLS`), 'TLS settings.'),
  rules: arr(ref(`${NET}IngressRule`), 'Routing rules.'),
});
type(
  `${NET}IngressPortStatus`,
  'Status of a port.',
  { port: int('Port.'), protocol: str('Protocol.'), error: str('Error.') },
  { required: ['port', 'protocol'] },
);
type(`${NET}IngressLoadBalancerIngress`, 'An ingress point.', {
  ip: str('IP.'),
  hostname: str('Host name.'),
  ports: arr(ref(`${NET}IngressPortStatus`), 'Ports.'),
});
type(`${NET}IngressLoadBalancerStatus`, 'Load balancer status.', { ingress: arr(ref(`${NET}IngressLoadBalancerIngress`), 'Ingress points.') });
type(`${NET}IngressStatus`, 'Observed state of an Ingress.', { loadBalancer: ref(`${NET}IngressLoadBalancerStatus`, 'Load balancer.') });
kindWithList(`${NET}Ingress`, gv('networking.k8s.io', 'v1')('Ingress'), 'HTTP routing from outside the cluster to Services.', {
  spec: ref(`${NET}IngressSpec`, 'Desired state.'),
  status: ref(`${NET}IngressStatus`, 'Observed state.'),
});
type(
  `${NET}IngressClassParametersReference`,
  'Parameters of an IngressClass.',
  { apiGroup: str('Group.'), kind: str('Kind.'), name: str('Name.'), scope: str('Cluster or Namespace.'), namespace: str('Namespace.') },
  { required: ['kind', 'name'] },
);
type(`${NET}IngressClassSpec`, 'The controller of an IngressClass.', {
  controller: str('Controller name.'),
  parameters: ref(`${NET}IngressClassParametersReference`, 'Parameters.'),
});
kindWithList(`${NET}IngressClass`, gv('networking.k8s.io', 'v1')('IngressClass'), 'A kind of Ingress and the controller implementing it.', {
  spec: ref(`${NET}IngressClassSpec`, 'The class.'),
});
type(`${NET}IPBlock`, 'A CIDR.', { cidr: str('The CIDR.'), except: arr(str(), 'CIDRs to exclude.') }, { required: ['cidr'] });
type(`${NET}NetworkPolicyPeer`, 'Peers allowed.', {
  podSelector: selector('Pods.'),
  namespaceSelector: selector('Namespaces.'),
  ipBlock: ref(`${NET}IPBlock`, 'Addresses.'),
});
type(`${NET}NetworkPolicyPort`, 'A port allowed.', { protocol: str('Protocol.'), port: ios('Port number or name.'), endPort: int('Last port of a range.') });
type(`${NET}NetworkPolicyIngressRule`, 'Allowed incoming traffic.', {
  ports: arr(ref(`${NET}NetworkPolicyPort`), 'Ports.'),
  from: arr(ref(`${NET}NetworkPolicyPeer`), 'Sources.'),
});
type(`${NET}NetworkPolicyEgressRule`, 'Allowed outgoing traffic.', {
  ports: arr(ref(`${NET}NetworkPolicyPort`), 'Ports.'),
  to: arr(ref(`${NET}NetworkPolicyPeer`), 'Destinations.'),
});
type(`${NET}NetworkPolicySpec`, 'Desired state of a NetworkPolicy.', {
  podSelector: selector('Pods the policy applies to.'),
  ingress: arr(ref(`${NET}NetworkPolicyIngressRule`), 'Allowed incoming traffic.'),
  egress: arr(ref(`${NET}NetworkPolicyEgressRule`), 'Allowed outgoing traffic.'),
  policyTypes: arr(str(), 'Ingress and/or Egress.'),
});
kindWithList(`${NET}NetworkPolicy`, gv('networking.k8s.io', 'v1')('NetworkPolicy'), 'Traffic allowed to and from pods.', {
  spec: ref(`${NET}NetworkPolicySpec`, 'Desired state.'),
});

const POL = 'io.k8s.api.policy.v1.';
type(`${POL}PodDisruptionBudgetSpec`, 'Desired state of a PodDisruptionBudget.', {
  minAvailable: ios('Pods that must stay available: a number or percentage.'),
  selector: selector('Pods covered.'),
  maxUnavailable: ios('Pods that may be unavailable: a number or percentage.'),
  unhealthyPodEvictionPolicy: str('IfHealthyBudget or AlwaysAllow.'),
});
type(
  `${POL}PodDisruptionBudgetStatus`,
  'Observed state of a PodDisruptionBudget.',
  {
    observedGeneration: i64('Generation last acted on.'),
    disruptedPods: { type: 'object', additionalProperties: time(), description: 'Pods being evicted.' },
    disruptionsAllowed: int('Disruptions allowed now.'),
    currentHealthy: int('Healthy pods.'),
    desiredHealthy: int('Healthy pods needed.'),
    expectedPods: int('Pods counted.'),
    conditions: conditions('io.k8s.apimachinery.pkg.apis.meta.v1.Condition'),
  },
  { required: ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] },
);
kindWithList(`${POL}PodDisruptionBudget`, gv('policy', 'v1')('PodDisruptionBudget'), 'Limits voluntary disruption of a set of pods.', {
  spec: ref(`${POL}PodDisruptionBudgetSpec`, 'Desired state.'),
  status: ref(`${POL}PodDisruptionBudgetStatus`, 'Observed state.'),
});

const RBAC = 'io.k8s.api.rbac.v1.';
const rbac = gv('rbac.authorization.k8s.io', 'v1');
type(
  `${RBAC}PolicyRule`,
  'Actions allowed on resources or URLs.',
  {
    verbs: arr(str(), 'Verbs, or * for all.'),
    apiGroups: arr(str(), 'API groups; "" is core.'),
    resources: arr(str(), 'Resources, or * for all.'),
    resourceNames: arr(str(), 'Only these object names.'),
    nonResourceURLs: arr(str(), 'Non-resource URLs, for ClusterRoles.'),
  },
  { required: ['verbs'] },
);
type(`${RBAC}AggregationRule`, 'ClusterRoles merged into this one.', { clusterRoleSelectors: arr(selector(), 'Select the ClusterRoles.') });
type(
  `${RBAC}Subject`,
  'A user, group or service account.',
  { kind: str('User, Group or ServiceAccount.'), apiGroup: str('Group of the kind.'), name: str('Name.'), namespace: str('Namespace, for service accounts.') },
  { required: ['kind', 'name'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${RBAC}RoleRef`,
  'The role granted.',
  { apiGroup: str('Group of the role.'), kind: str('Role or ClusterRole.'), name: str('Name.') },
  { required: ['apiGroup', 'kind', 'name'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
kindWithList(`${RBAC}Role`, rbac('Role'), 'Permissions within a namespace.', { rules: arr(ref(`${RBAC}PolicyRule`), 'The rules.') });
kindWithList(`${RBAC}ClusterRole`, rbac('ClusterRole'), 'Permissions cluster-wide or reusable in namespaces.', {
  rules: arr(ref(`${RBAC}PolicyRule`), 'The rules.'),
  aggregationRule: ref(`${RBAC}AggregationRule`, 'Build the rules from other ClusterRoles.'),
});
kindWithList(
  `${RBAC}RoleBinding`,
  rbac('RoleBinding'),
  'Grants a role to subjects within a namespace.',
  {
    subjects: arr(ref(`${RBAC}Subject`), 'Who gets the role.'),
    roleRef: ref(`${RBAC}RoleRef`, 'The role; cannot change.'),
  },
  ['roleRef'],
);
kindWithList(
  `${RBAC}ClusterRoleBinding`,
  rbac('ClusterRoleBinding'),
  'Grants a ClusterRole cluster-wide.',
  {
    subjects: arr(ref(`${RBAC}Subject`), 'Who gets the role.'),
    roleRef: ref(`${RBAC}RoleRef`, 'The role; cannot change.'),
  },
  ['roleRef'],
);

const STO = 'io.k8s.api.storage.v1.';
kindWithList(
  `${STO}StorageClass`,
  gv('storage.k8s.io', 'v1')('StorageClass'),
  'A class of dynamically provisioned storage.',
  {
    provisioner: str('Provisioner name.'),
    parameters: strMap('Provisioner parameters.'),
    reclaimPolicy: str('Delete or Retain.'),
    mountOptions: arr(str(), 'Mount options.'),
    allowVolumeExpansion: bool('Whether claims may grow.'),
    volumeBindingMode: str('Immediate or WaitForFirstConsumer.'),
    allowedTopologies: arr({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'Where volumes may be provisioned.'),
  },
  ['provisioner'],
);
kindWithList(
  'io.k8s.api.scheduling.v1.PriorityClass',
  gv('scheduling.k8s.io', 'v1')('PriorityClass'),
  'A named pod priority.',
  {
    value: int('The priority; higher runs first.'),
    globalDefault: bool('Default for pods without a class.'),
    description: str('When to use this class.'),
    preemptionPolicy: str('PreemptLowerPriority or Never.'),
  },
  ['value'],
);
