// core/v1 Pod: PodSpec (scheduling, security, DNS), PodStatus and PodTemplateSpec.
import './core-container.js';
import './core-volume.js';
import { arr, bool, core, CORE, enumStr, i64, int, keyed, kindWithList, meta, mergeOnly, qtyMap, ref, selector, str, strMap, time, type } from './dsl.js';

type(
  `${CORE}NodeSelectorRequirement`,
  'One condition on a node label or field.',
  {
    key: str('Label key or field name.'),
    operator: str('In, NotIn, Exists, DoesNotExist, Gt or Lt.'),
    values: arr(str(), 'Values to compare with.'),
  },
  { required: ['key', 'operator'] },
);
type(
  `${CORE}NodeSelectorTerm`,
  'Conditions on a node, ANDed.',
  {
    matchExpressions: arr(ref(`${CORE}NodeSelectorRequirement`), 'Conditions on node labels.'),
    matchFields: arr(ref(`${CORE}NodeSelectorRequirement`), 'Conditions on node fields.'),
  },
  { ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}NodeSelector`,
  'Terms of which at least one must match.',
  { nodeSelectorTerms: arr(ref(`${CORE}NodeSelectorTerm`), 'The terms, ORed.') },
  { required: ['nodeSelectorTerms'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}PreferredSchedulingTerm`,
  'A weighted node preference.',
  { weight: int('Weight, 1 to 100.'), preference: core('NodeSelectorTerm', 'The preferred nodes.') },
  { required: ['weight', 'preference'] },
);
type(`${CORE}NodeAffinity`, 'Which nodes the pod may or prefers to run on.', {
  requiredDuringSchedulingIgnoredDuringExecution: core('NodeSelector', 'Nodes the pod must run on.'),
  preferredDuringSchedulingIgnoredDuringExecution: arr(ref(`${CORE}PreferredSchedulingTerm`), 'Nodes the pod prefers.'),
});
type(
  `${CORE}PodAffinityTerm`,
  'Pods that must (or must not) run in the same topology domain.',
  {
    labelSelector: selector('Pods to consider.'),
    namespaceSelector: selector('Namespaces to consider.'),
    namespaces: arr(str(), "Namespaces to consider; the pod's own by default."),
    topologyKey: str('Node label that defines the domain, e.g. kubernetes.io/hostname.'),
    matchLabelKeys: arr(str(), 'Label keys whose values are taken from this pod and added to the selector.'),
    mismatchLabelKeys: arr(str(), 'Label keys whose values must differ.'),
  },
  { required: ['topologyKey'] },
);
type(
  `${CORE}WeightedPodAffinityTerm`,
  'A weighted pod (anti-)affinity preference.',
  { weight: int('Weight, 1 to 100.'), podAffinityTerm: core('PodAffinityTerm', 'The term.') },
  { required: ['weight', 'podAffinityTerm'] },
);
for (const [name, what] of [
  ['PodAffinity', 'near'],
  ['PodAntiAffinity', 'away from'],
] as const)
  type(CORE + name, `Run ${what} pods matching the terms.`, {
    requiredDuringSchedulingIgnoredDuringExecution: arr(ref(`${CORE}PodAffinityTerm`), 'Terms that must hold.'),
    preferredDuringSchedulingIgnoredDuringExecution: arr(ref(`${CORE}WeightedPodAffinityTerm`), 'Terms preferred.'),
  });
type(`${CORE}Affinity`, 'Scheduling constraints.', {
  nodeAffinity: core('NodeAffinity', 'Constraints on nodes.'),
  podAffinity: core('PodAffinity', 'Run near other pods.'),
  podAntiAffinity: core('PodAntiAffinity', 'Run away from other pods.'),
});
type(`${CORE}Toleration`, 'Lets the pod run on nodes with a matching taint.', {
  key: str('Taint key; empty matches all keys with Exists.'),
  operator: str('Exists or Equal; Equal by default.'),
  value: str('Taint value for Equal.'),
  effect: str('NoSchedule, PreferNoSchedule or NoExecute; empty matches all.'),
  tolerationSeconds: i64('For NoExecute: how long the pod stays after the taint appears.'),
});
type(`${CORE}HostAlias`, 'An extra /etc/hosts entry.', { ip: str('IP address.'), hostnames: arr(str(), 'Host names for the IP.') }, { required: ['ip'] });
type(`${CORE}PodDNSConfigOption`, 'A resolver option.', { name: str('Option name.'), value: str('Option value.') });
type(`${CORE}PodDNSConfig`, 'DNS settings merged into those from dnsPolicy.', {
  nameservers: arr(str(), 'Extra name server IPs.'),
  searches: arr(str(), 'Extra search domains.'),
  options: arr(ref(`${CORE}PodDNSConfigOption`), 'Resolver options.'),
});
type(`${CORE}Sysctl`, 'A namespaced kernel parameter.', { name: str('Parameter name.'), value: str('Value.') }, { required: ['name', 'value'] });
type(`${CORE}PodSecurityContext`, 'Security settings for every container of the pod.', {
  seLinuxOptions: core('SELinuxOptions', 'SELinux context.'),
  windowsOptions: core('WindowsSecurityContextOptions', 'Windows settings.'),
  runAsUser: i64('UID for container entrypoints.'),
  runAsGroup: i64('GID for container entrypoints.'),
  runAsNonRoot: bool('Refuse to start containers as UID 0.'),
  supplementalGroups: arr(i64(), 'Extra GIDs for the first process of each container.'),
  supplementalGroupsPolicy: str('Merge or Strict.'),
  fsGroup: i64('GID that owns volumes and is added to every container.'),
  fsGroupChangePolicy: str('OnRootMismatch or Always.'),
  sysctls: arr(ref(`${CORE}Sysctl`), 'Kernel parameters.'),
  seccompProfile: core('SeccompProfile', 'Seccomp profile.'),
  appArmorProfile: core('AppArmorProfile', 'AppArmor profile.'),
  seLinuxChangePolicy: str('Recursive or MountOption.'),
});
type(
  `${CORE}TopologySpreadConstraint`,
  'How to spread matching pods across topology domains.',
  {
    maxSkew: int('Most the count of matching pods may differ between domains.'),
    topologyKey: str('Node label that defines the domains.'),
    whenUnsatisfiable: str('DoNotSchedule or ScheduleAnyway.'),
    labelSelector: selector('Pods to count.'),
    minDomains: int('Least number of eligible domains.'),
    nodeAffinityPolicy: str('Honor or Ignore the pod node affinity when counting.'),
    nodeTaintsPolicy: str('Honor or Ignore node taints when counting.'),
    matchLabelKeys: arr(str(), 'Label keys whose values are taken from this pod for the selector.'),
  },
  { required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'] },
);
type(
  `${CORE}PodReadinessGate`,
  'An extra condition the pod needs to be ready.',
  { conditionType: str('Condition type in the pod status.') },
  { required: ['conditionType'] },
);
type(`${CORE}PodOS`, 'The operating system of the pod.', { name: str('linux or windows.') }, { required: ['name'] });
type(`${CORE}PodSchedulingGate`, 'Holds the pod back from scheduling while present.', { name: str('Name of the gate.') }, { required: ['name'] });
type(
  `${CORE}PodResourceClaim`,
  'A dynamic resource claim of the pod.',
  {
    name: str('Name used by containers.'),
    resourceClaimName: str('An existing ResourceClaim.'),
    resourceClaimTemplateName: str('A template to create a claim from.'),
  },
  { required: ['name'] },
);

type(
  `${CORE}PodSpec`,
  'The desired state of a pod.',
  {
    volumes: keyed(ref(`${CORE}Volume`), ['name'], 'Volumes that containers can mount.', 'merge,retainKeys'),
    initContainers: keyed(ref(`${CORE}Container`), ['name'], 'Containers run to completion, in order, before the others start.'),
    containers: keyed(ref(`${CORE}Container`), ['name'], 'The containers of the pod; at least one.'),
    ephemeralContainers: keyed(ref(`${CORE}EphemeralContainer`), ['name'], 'Debug containers added to the running pod.'),
    restartPolicy: enumStr(['Always', 'Never', 'OnFailure'], 'When containers are restarted; Always by default.'),
    terminationGracePeriodSeconds: i64('Seconds between the stop signal and the kill; 30 by default.'),
    activeDeadlineSeconds: i64('Seconds the pod may run before it is failed.'),
    dnsPolicy: enumStr(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'], 'How DNS is configured; ClusterFirst by default.'),
    nodeSelector: { ...strMap('Node labels the node must have.'), 'x-kubernetes-map-type': 'atomic' },
    serviceAccountName: str('ServiceAccount the pod runs as.'),
    serviceAccount: str('Deprecated alias of serviceAccountName.'),
    automountServiceAccountToken: bool('Mount the service account token.'),
    nodeName: str('Node the pod is bound to; set by the scheduler.'),
    hostNetwork: bool("Use the node's network namespace."),
    hostPID: bool("Use the node's PID namespace."),
    hostIPC: bool("Use the node's IPC namespace."),
    shareProcessNamespace: bool('One PID namespace for all containers.'),
    securityContext: core('PodSecurityContext', 'Pod-level security settings.'),
    imagePullSecrets: mergeOnly(ref(`${CORE}LocalObjectReference`), 'name', 'Secrets used to pull images.'),
    hostname: str('Host name of the pod; its name by default.'),
    subdomain: str('Subdomain for a fully qualified host name.'),
    affinity: core('Affinity', 'Scheduling constraints.'),
    schedulerName: str('Scheduler to use; default-scheduler by default.'),
    tolerations: arr(ref(`${CORE}Toleration`), 'Taints the pod tolerates.'),
    hostAliases: mergeOnly(ref(`${CORE}HostAlias`), 'ip', 'Extra /etc/hosts entries.'),
    priorityClassName: str('PriorityClass of the pod.'),
    priority: int('Priority, resolved from priorityClassName.'),
    dnsConfig: core('PodDNSConfig', 'Extra DNS settings.'),
    readinessGates: arr(ref(`${CORE}PodReadinessGate`), 'Extra conditions for readiness.'),
    runtimeClassName: str('RuntimeClass to run with.'),
    enableServiceLinks: bool('Put Service addresses into the environment; true by default.'),
    preemptionPolicy: str('PreemptLowerPriority or Never.'),
    overhead: qtyMap('Resources the pod sandbox uses.'),
    topologySpreadConstraints: keyed(ref(`${CORE}TopologySpreadConstraint`), ['topologyKey', 'whenUnsatisfiable'], 'How to spread pods across domains.'),
    setHostnameAsFQDN: bool('Use the fully qualified name as host name.'),
    os: core('PodOS', 'Operating system of the pod.'),
    hostUsers: bool("Use the host's user namespace; true by default."),
    schedulingGates: keyed(ref(`${CORE}PodSchedulingGate`), ['name'], 'Gates that hold back scheduling.'),
    resourceClaims: keyed(ref(`${CORE}PodResourceClaim`), ['name'], 'Dynamic resource claims.', 'merge,retainKeys'),
    resources: core('ResourceRequirements', 'Resources for the pod as a whole.'),
  },
  { required: ['containers'] },
);

type(`${CORE}PodTemplateSpec`, 'The pods a controller creates.', {
  metadata: meta('Labels and annotations of the pods.'),
  spec: core('PodSpec', 'The pod spec.'),
});

type(
  `${CORE}PodCondition`,
  'One aspect of the state of a pod.',
  {
    type: str('PodScheduled, Initialized, ContainersReady, Ready, …'),
    status: str('True, False or Unknown.'),
    lastProbeTime: time('When last probed.'),
    lastTransitionTime: time('When status last changed.'),
    reason: str('Reason for the last transition.'),
    message: str('Human-readable details.'),
  },
  { required: ['type', 'status'] },
);
type(`${CORE}ContainerStateWaiting`, 'The container has not started.', {
  reason: str('Why, e.g. ContainerCreating or CrashLoopBackOff.'),
  message: str('Details.'),
});
type(`${CORE}ContainerStateRunning`, 'The container runs.', { startedAt: time('When it started.') });
type(
  `${CORE}ContainerStateTerminated`,
  'The container has exited.',
  {
    exitCode: int('Exit code.'),
    signal: int('Signal that stopped it.'),
    reason: str('Why, e.g. Completed or OOMKilled.'),
    message: str('Details.'),
    startedAt: time('When it started.'),
    finishedAt: time('When it stopped.'),
    containerID: str('Runtime ID of the container.'),
  },
  { required: ['exitCode'] },
);
type(`${CORE}ContainerState`, 'Exactly one of waiting, running or terminated.', {
  waiting: core('ContainerStateWaiting', 'Not started.'),
  running: core('ContainerStateRunning', 'Running.'),
  terminated: core('ContainerStateTerminated', 'Exited.'),
});
type(`${CORE}VolumeMountStatus`, 'A volume mount as the runtime applied it.', {
  name: str('Name of the volume.'),
  mountPath: str('Path in the container.'),
  readOnly: bool('Whether it is mounted read-only.'),
  recursiveReadOnly: str('Whether read-only applies to submounts: Disabled or Enabled.'),
});
type(
  `${CORE}ContainerStatus`,
  'The observed state of one container.',
  {
    name: str('Container name.'),
    state: core('ContainerState', 'Current state.'),
    lastState: core('ContainerState', 'State before the last restart.'),
    ready: bool('Whether it passes its readiness probe.'),
    restartCount: int('Number of restarts.'),
    image: str('Image it runs.'),
    imageID: str('Image digest.'),
    containerID: str('Runtime ID, as <type>://<id>.'),
    started: bool('Whether it has passed its startup probe.'),
    allocatedResources: qtyMap('Resources allocated by the node.'),
    resources: core('ResourceRequirements', 'Resources applied by the runtime.'),
    volumeMounts: arr(ref(`${CORE}VolumeMountStatus`), 'Mounts as applied.'),
    user: { type: 'object', description: 'Identity the container runs as.', 'x-kubernetes-preserve-unknown-fields': true },
    allocatedResourcesStatus: arr({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, 'Health of allocated resources.'),
  },
  { required: ['name', 'ready', 'restartCount', 'image', 'imageID'] },
);
type(`${CORE}PodIP`, 'An IP address of the pod.', { ip: str('The address.') }, { required: ['ip'] });
type(`${CORE}HostIP`, 'An IP address of the node.', { ip: str('The address.') }, { required: ['ip'] });
type(`${CORE}PodStatus`, 'The observed state of a pod.', {
  phase: enumStr(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'], 'Summary of where the pod is in its life.'),
  conditions: keyed(ref(`${CORE}PodCondition`), ['type'], 'Current conditions.'),
  message: str('Why the pod is in this state.'),
  reason: str('Short reason, e.g. Evicted.'),
  nominatedNodeName: str('Node the pod may run on after preemption.'),
  hostIP: str('IP of the node.'),
  hostIPs: keyed(ref(`${CORE}HostIP`), ['ip'], 'IPs of the node.'),
  podIP: str('IP of the pod.'),
  podIPs: keyed(ref(`${CORE}PodIP`), ['ip'], 'IPs of the pod, one per family.'),
  startTime: time('When the node accepted the pod.'),
  initContainerStatuses: arr(ref(`${CORE}ContainerStatus`), 'Status of init containers.'),
  containerStatuses: arr(ref(`${CORE}ContainerStatus`), 'Status of containers.'),
  qosClass: enumStr(['BestEffort', 'Burstable', 'Guaranteed'], 'Quality of service class.'),
  ephemeralContainerStatuses: arr(ref(`${CORE}ContainerStatus`), 'Status of ephemeral containers.'),
  resize: str('Status of an in-place resize.'),
  resourceClaimStatuses: keyed({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, ['name'], 'Generated claim names.'),
});

kindWithList(`${CORE}Pod`, { group: '', version: 'v1', kind: 'Pod' }, 'A group of containers that run together on one node, sharing network and volumes.', {
  spec: core('PodSpec', 'Desired state of the pod.'),
  status: core('PodStatus', 'Observed state of the pod, written by the node agent.'),
});
kindWithList(`${CORE}PodTemplate`, { group: '', version: 'v1', kind: 'PodTemplate' }, 'A stored pod template.', {
  template: core('PodTemplateSpec', 'The template.'),
});
