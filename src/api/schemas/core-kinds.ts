// The other core/v1 kinds: namespaces, services, endpoints, nodes, config, storage, quotas.
import './core-pod.js';
import { volumeSources } from './core-volume.js';
import {
  arr,
  bool,
  bytes,
  conditions,
  core,
  CORE,
  enumStr,
  i64,
  int,
  ios,
  keyed,
  kindWithList,
  map,
  mergeOnly,
  qtyMap,
  ref,
  set,
  str,
  strMap,
  time,
  type,
} from './dsl.js';

const v1 = (kind: string) => ({ group: '', version: 'v1', kind });
const condition = (name: string, what: string, extra: Record<string, ReturnType<typeof str>> = {}) =>
  type(
    CORE + name,
    `One aspect of the state of a ${what}.`,
    {
      type: str('Type of the condition.'),
      status: str('True, False or Unknown.'),
      lastTransitionTime: time('When status last changed.'),
      reason: str('Reason for the last transition.'),
      message: str('Human-readable details.'),
      ...extra,
    },
    { required: ['type', 'status'] },
  );

condition('NamespaceCondition', 'namespace');
type(`${CORE}NamespaceSpec`, 'The desired state of a namespace.', { finalizers: arr(str(), 'Must be empty before the namespace is removed.') });
type(`${CORE}NamespaceStatus`, 'The observed state of a namespace.', {
  phase: enumStr(['Active', 'Terminating'], 'Active or Terminating.'),
  conditions: conditions(`${CORE}NamespaceCondition`),
});
kindWithList(`${CORE}Namespace`, v1('Namespace'), 'A scope for names; deleting it deletes everything in it.', {
  spec: core('NamespaceSpec', 'Desired state.'),
  status: core('NamespaceStatus', 'Observed state.'),
});

type(
  `${CORE}ServicePort`,
  'A port a Service exposes.',
  {
    name: str('Name of the port, unique within the Service; required with several ports.'),
    protocol: enumStr(['SCTP', 'TCP', 'UDP'], 'TCP, UDP or SCTP; TCP by default.'),
    appProtocol: str('Application protocol, e.g. http or kubernetes.io/h2c.'),
    port: int('Port the Service exposes.'),
    targetPort: ios('Port number or name on the pods; port by default.'),
    nodePort: int('Port on every node, for NodePort and LoadBalancer; allocated when empty.'),
  },
  { required: ['port'] },
);
type(`${CORE}ClientIPConfig`, 'Client IP session affinity settings.', { timeoutSeconds: int('Seconds a session sticks; 10800 by default.') });
type(`${CORE}SessionAffinityConfig`, 'Session affinity settings.', { clientIP: core('ClientIPConfig', 'ClientIP settings.') });
type(`${CORE}ServiceSpec`, 'The desired state of a Service.', {
  ports: keyed(ref(`${CORE}ServicePort`), ['port', 'protocol'], 'Ports the Service exposes.'),
  selector: { ...strMap('Pods with these labels receive the traffic.'), 'x-kubernetes-map-type': 'atomic' },
  clusterIP: str('Virtual IP of the Service; allocated when empty, None for a headless Service.'),
  clusterIPs: arr(str(), 'Virtual IPs, one per family.'),
  type: enumStr(['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'], 'How the Service is exposed; ClusterIP by default.'),
  externalIPs: arr(str(), 'Extra IPs nodes accept traffic for.'),
  sessionAffinity: enumStr(['ClientIP', 'None'], 'ClientIP or None.'),
  loadBalancerIP: str('Deprecated: requested load balancer IP.'),
  loadBalancerSourceRanges: arr(str(), 'Client CIDRs allowed through the load balancer.'),
  externalName: str('DNS name returned for type ExternalName.'),
  externalTrafficPolicy: enumStr(['Cluster', 'Local'], 'Cluster or Local routing of external traffic.'),
  healthCheckNodePort: int('Health check port for Local external traffic.'),
  publishNotReadyAddresses: bool('Publish addresses of pods that are not ready.'),
  sessionAffinityConfig: core('SessionAffinityConfig', 'Session affinity settings.'),
  ipFamilies: arr(str(), 'IPv4 and/or IPv6.'),
  ipFamilyPolicy: enumStr(['PreferDualStack', 'RequireDualStack', 'SingleStack'], 'SingleStack, PreferDualStack or RequireDualStack.'),
  allocateLoadBalancerNodePorts: bool('Allocate node ports for LoadBalancer Services; true by default.'),
  loadBalancerClass: str('Load balancer implementation.'),
  internalTrafficPolicy: enumStr(['Cluster', 'Local'], 'Cluster or Local routing of internal traffic.'),
  trafficDistribution: str('Preference for routing, e.g. PreferClose.'),
});
type(
  `${CORE}PortStatus`,
  'Status of a load balancer port.',
  { port: int('Port.'), protocol: str('Protocol.'), error: str('Error, if any.') },
  { required: ['port', 'protocol'] },
);
type(`${CORE}LoadBalancerIngress`, 'An ingress point of a load balancer.', {
  ip: str('IP.'),
  hostname: str('Host name.'),
  ipMode: str('VIP or Proxy.'),
  ports: arr(ref(`${CORE}PortStatus`), 'Port status.'),
});
type(`${CORE}LoadBalancerStatus`, 'Status of a load balancer.', { ingress: arr(ref(`${CORE}LoadBalancerIngress`), 'Ingress points.') });
type(`${CORE}ServiceStatus`, 'The observed state of a Service.', {
  loadBalancer: core('LoadBalancerStatus', 'Load balancer status.'),
  conditions: conditions('io.k8s.apimachinery.pkg.apis.meta.v1.Condition'),
});
kindWithList(`${CORE}Service`, v1('Service'), 'A stable virtual IP and DNS name in front of a set of pods.', {
  spec: core('ServiceSpec', 'Desired state.'),
  status: core('ServiceStatus', 'Observed state.'),
});

type(
  `${CORE}ObjectReference`,
  'Refers to an object.',
  {
    kind: str('Kind.'),
    namespace: str('Namespace.'),
    name: str('Name.'),
    uid: str('UID.'),
    apiVersion: str('API version.'),
    resourceVersion: str('Resource version.'),
    fieldPath: str('Part of the object, e.g. a container.'),
  },
  { ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}EndpointAddress`,
  'An address of an endpoint.',
  { ip: str('IP.'), hostname: str('Host name.'), nodeName: str('Node.'), targetRef: core('ObjectReference', 'The pod.') },
  { required: ['ip'] },
);
type(
  `${CORE}EndpointPort`,
  'A port of an endpoint.',
  { name: str('Name, matching the Service port.'), port: int('Port.'), protocol: str('Protocol.'), appProtocol: str('Application protocol.') },
  { required: ['port'] },
);
type(`${CORE}EndpointSubset`, 'Addresses sharing the same ports.', {
  addresses: arr(ref(`${CORE}EndpointAddress`), 'Ready addresses.'),
  notReadyAddresses: arr(ref(`${CORE}EndpointAddress`), 'Addresses not ready.'),
  ports: arr(ref(`${CORE}EndpointPort`), 'Ports.'),
});
kindWithList(`${CORE}Endpoints`, v1('Endpoints'), 'The addresses that implement a Service.', {
  subsets: arr(ref(`${CORE}EndpointSubset`), 'Sets of addresses and ports.'),
});

type(
  `${CORE}Taint`,
  'Repels pods that do not tolerate it.',
  { key: str('Key.'), value: str('Value.'), effect: str('NoSchedule, PreferNoSchedule or NoExecute.'), timeAdded: time('When added, for NoExecute.') },
  { required: ['key', 'effect'] },
);
type(`${CORE}NodeSpec`, 'The desired state of a node.', {
  podCIDR: str('Pod IP range of the node.'),
  podCIDRs: set('Pod IP ranges, one per family.'),
  providerID: str('Cloud provider ID.'),
  unschedulable: bool('Keep new pods off the node.'),
  taints: arr(ref(`${CORE}Taint`), 'Taints of the node.'),
  configSource: { type: 'object', description: 'Deprecated.', 'x-kubernetes-preserve-unknown-fields': true },
  externalID: str('Deprecated.'),
});
condition('NodeCondition', 'node', { lastHeartbeatTime: time('When last reported.') });
type(
  `${CORE}NodeAddress`,
  'An address of a node.',
  { type: str('Hostname, InternalIP, ExternalIP, …'), address: str('The address.') },
  { required: ['type', 'address'] },
);
type(`${CORE}DaemonEndpoint`, 'A port of a node daemon.', { Port: int('Port.') }, { required: ['Port'] });
type(`${CORE}NodeDaemonEndpoints`, 'Ports of the node daemons.', { kubeletEndpoint: core('DaemonEndpoint', 'The node agent.') });
type(
  `${CORE}NodeSystemInfo`,
  'Facts about the node.',
  Object.fromEntries(
    [
      'machineID',
      'systemUUID',
      'bootID',
      'kernelVersion',
      'osImage',
      'containerRuntimeVersion',
      'kubeletVersion',
      'kubeProxyVersion',
      'operatingSystem',
      'architecture',
    ].map((k) => [k, str(`${k} of the node.`)]),
  ),
);
type(`${CORE}ContainerImage`, 'An image on the node.', { names: arr(str(), 'Names of the image.'), sizeBytes: i64('Size.') });
type(`${CORE}AttachedVolume`, 'A volume attached to the node.', { name: str('Name.'), devicePath: str('Device path.') }, { required: ['name', 'devicePath'] });
type(`${CORE}NodeStatus`, 'The observed state of a node.', {
  capacity: qtyMap('Total resources.'),
  allocatable: qtyMap('Resources available to pods.'),
  phase: str('Deprecated.'),
  conditions: keyed(ref(`${CORE}NodeCondition`), ['type'], 'Current conditions, e.g. Ready.'),
  addresses: keyed(ref(`${CORE}NodeAddress`), ['type'], 'Addresses of the node.'),
  daemonEndpoints: core('NodeDaemonEndpoints', 'Daemon ports.'),
  nodeInfo: core('NodeSystemInfo', 'Facts about the node.'),
  images: arr(ref(`${CORE}ContainerImage`), 'Images on the node.'),
  volumesInUse: arr(str(), 'Volumes in use.'),
  volumesAttached: arr(ref(`${CORE}AttachedVolume`), 'Volumes attached.'),
  config: { type: 'object', description: 'Config status.', 'x-kubernetes-preserve-unknown-fields': true },
  runtimeHandlers: arr({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'Runtime handlers.'),
  features: { type: 'object', description: 'Features of the node.', 'x-kubernetes-preserve-unknown-fields': true },
});
kindWithList(`${CORE}Node`, v1('Node'), 'A machine that runs pods.', {
  spec: core('NodeSpec', 'Desired state.'),
  status: core('NodeStatus', 'Observed state.'),
});

kindWithList(`${CORE}ConfigMap`, v1('ConfigMap'), 'Configuration data for pods.', {
  immutable: bool('When true, data cannot change.'),
  data: strMap('UTF-8 values.'),
  binaryData: map(bytes(), 'Binary values, base64 encoded.'),
});
kindWithList(`${CORE}Secret`, v1('Secret'), 'Sensitive data for pods.', {
  immutable: bool('When true, data cannot change.'),
  data: map(bytes(), 'Values, base64 encoded.'),
  stringData: strMap('Write-only plain values, merged into data.'),
  type: str('How the data is used, e.g. Opaque or kubernetes.io/tls.'),
});
kindWithList(`${CORE}ServiceAccount`, v1('ServiceAccount'), 'An identity for processes in pods.', {
  secrets: mergeOnly(ref(`${CORE}ObjectReference`), 'name', 'Secrets pods may use.'),
  imagePullSecrets: arr(ref(`${CORE}LocalObjectReference`), 'Secrets for pulling images.'),
  automountServiceAccountToken: bool('Mount the token into pods.'),
});

type(`${CORE}EventSource`, 'The component that reported an event.', { component: str('Component.'), host: str('Node.') });
type(`${CORE}EventSeries`, 'A series of repeated events.', {
  count: int('Occurrences.'),
  lastObservedTime: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime', description: 'Last occurrence.' },
});
kindWithList(
  `${CORE}Event`,
  v1('Event'),
  'A report of something that happened to an object.',
  {
    involvedObject: core('ObjectReference', 'The object concerned.'),
    reason: str('Short machine-readable reason.'),
    message: str('Human-readable description.'),
    source: core('EventSource', 'Who reported it.'),
    firstTimestamp: time('First occurrence.'),
    lastTimestamp: time('Latest occurrence.'),
    count: int('Number of occurrences.'),
    type: str('Normal or Warning.'),
    eventTime: { $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime', description: 'When first observed.' },
    series: core('EventSeries', 'Series data.'),
    action: str('Action taken.'),
    related: core('ObjectReference', 'A second object concerned.'),
    reportingComponent: str('Reporting controller.'),
    reportingInstance: str('Reporting instance.'),
  },
  ['metadata', 'involvedObject'],
);

type(`${CORE}LocalVolumeSource`, 'A local disk of a node.', { path: str('Path.'), fsType: str('Filesystem type.') }, { required: ['path'] });
type(`${CORE}VolumeNodeAffinity`, 'Nodes the volume is reachable from.', { required: core('NodeSelector', 'Nodes that must match.') });
type(`${CORE}PersistentVolumeSpec`, 'A piece of storage.', {
  capacity: qtyMap('Size of the volume.'),
  ...Object.fromEntries(
    Object.entries(volumeSources).filter(
      ([k]) => !['emptyDir', 'secret', 'configMap', 'downwardAPI', 'projected', 'gitRepo', 'persistentVolumeClaim', 'ephemeral', 'image'].includes(k),
    ),
  ),
  local: core('LocalVolumeSource', 'A local disk.'),
  accessModes: arr(str(), 'How the volume can be mounted.'),
  claimRef: core('ObjectReference', 'The claim bound to the volume.'),
  persistentVolumeReclaimPolicy: str('Retain, Delete or Recycle.'),
  storageClassName: str('StorageClass of the volume.'),
  mountOptions: arr(str(), 'Mount options.'),
  volumeMode: str('Filesystem or Block.'),
  nodeAffinity: core('VolumeNodeAffinity', 'Nodes the volume is reachable from.'),
  volumeAttributesClassName: str('VolumeAttributesClass.'),
});
type(`${CORE}PersistentVolumeStatus`, 'Observed state of a volume.', {
  phase: str('Pending, Available, Bound, Released or Failed.'),
  message: str('Details.'),
  reason: str('Reason.'),
  lastPhaseTransitionTime: time('When the phase last changed.'),
});
kindWithList(`${CORE}PersistentVolume`, v1('PersistentVolume'), 'A piece of storage in the cluster.', {
  spec: core('PersistentVolumeSpec', 'Desired state.'),
  status: core('PersistentVolumeStatus', 'Observed state.'),
});
condition('PersistentVolumeClaimCondition', 'claim', { lastProbeTime: time('When last probed.') });
type(`${CORE}PersistentVolumeClaimStatus`, 'Observed state of a claim.', {
  phase: str('Pending, Bound or Lost.'),
  accessModes: arr(str(), 'Access modes of the bound volume.'),
  capacity: qtyMap('Size of the bound volume.'),
  conditions: keyed(ref(`${CORE}PersistentVolumeClaimCondition`), ['type'], 'Conditions.'),
  allocatedResources: qtyMap('Allocated resources.'),
  allocatedResourceStatuses: strMap('Resize status.'),
  currentVolumeAttributesClassName: str('Current VolumeAttributesClass.'),
  modifyVolumeStatus: { type: 'object', description: 'Modification status.', 'x-kubernetes-preserve-unknown-fields': true },
});
kindWithList(`${CORE}PersistentVolumeClaim`, v1('PersistentVolumeClaim'), "A user's request for storage.", {
  spec: core('PersistentVolumeClaimSpec', 'Desired state.'),
  status: core('PersistentVolumeClaimStatus', 'Observed state.'),
});

type(
  `${CORE}ScopedResourceSelectorRequirement`,
  'A condition on a scope.',
  { scopeName: str('Scope.'), operator: str('In, NotIn, Exists or DoesNotExist.'), values: arr(str(), 'Values.') },
  { required: ['scopeName', 'operator'] },
);
type(
  `${CORE}ScopeSelector`,
  'Conditions on scopes, ANDed.',
  { matchExpressions: arr(ref(`${CORE}ScopedResourceSelectorRequirement`), 'The conditions.') },
  { ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(`${CORE}ResourceQuotaSpec`, 'Limits on total resource use in a namespace.', {
  hard: qtyMap('Limit of each named resource.'),
  scopes: arr(str(), 'Scopes the quota applies to.'),
  scopeSelector: core('ScopeSelector', 'Scopes the quota applies to, by condition.'),
});
type(`${CORE}ResourceQuotaStatus`, 'Observed use.', { hard: qtyMap('Enforced limits.'), used: qtyMap('Current use.') });
kindWithList(`${CORE}ResourceQuota`, v1('ResourceQuota'), 'Limits total resource use in a namespace.', {
  spec: core('ResourceQuotaSpec', 'Desired state.'),
  status: core('ResourceQuotaStatus', 'Observed state.'),
});

type(
  `${CORE}LimitRangeItem`,
  'Limits for one kind of object.',
  {
    type: str('Pod, Container or PersistentVolumeClaim.'),
    max: qtyMap('Most of each resource.'),
    min: qtyMap('Least of each resource.'),
    default: qtyMap('Default limits.'),
    defaultRequest: qtyMap('Default requests.'),
    maxLimitRequestRatio: qtyMap('Largest limit/request ratio.'),
  },
  { required: ['type'] },
);
type(`${CORE}LimitRangeSpec`, 'The limits.', { limits: arr(ref(`${CORE}LimitRangeItem`), 'Limits per kind of object.') }, { required: ['limits'] });
kindWithList(`${CORE}LimitRange`, v1('LimitRange'), 'Defaults and bounds for resources of objects in a namespace.', {
  spec: core('LimitRangeSpec', 'The limits.'),
});

type(`${CORE}ReplicationControllerSpec`, 'Desired state of a replication controller.', {
  replicas: int('Desired number of pods; 1 by default.'),
  minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
  selector: { ...strMap('Labels of the pods it manages.'), 'x-kubernetes-map-type': 'atomic' },
  template: core('PodTemplateSpec', 'The pods to create.'),
});
condition('ReplicationControllerCondition', 'replication controller');
type(
  `${CORE}ReplicationControllerStatus`,
  'Observed state of a replication controller.',
  {
    replicas: int('Pods present.'),
    fullyLabeledReplicas: int('Pods whose labels match the template.'),
    readyReplicas: int('Ready pods.'),
    availableReplicas: int('Available pods.'),
    observedGeneration: i64('Generation last observed.'),
    conditions: keyed(ref(`${CORE}ReplicationControllerCondition`), ['type'], 'Conditions.'),
  },
  { required: ['replicas'] },
);
kindWithList(`${CORE}ReplicationController`, v1('ReplicationController'), 'Keeps a number of pod replicas running (superseded by Deployments).', {
  spec: core('ReplicationControllerSpec', 'Desired state.'),
  status: core('ReplicationControllerStatus', 'Observed state.'),
});

type(
  `${CORE}ComponentCondition`,
  'Health of a component.',
  { type: str('Healthy.'), status: str('True, False or Unknown.'), message: str('Details.'), error: str('Error.') },
  { required: ['type', 'status'] },
);
kindWithList(`${CORE}ComponentStatus`, v1('ComponentStatus'), 'Deprecated: health of a control plane component.', {
  conditions: keyed(ref(`${CORE}ComponentCondition`), ['type'], 'Conditions.'),
});
