// core/v1 Container and everything under it: ports, env, resources, probes, lifecycle, security.
import { arr, bool, core, CORE, i64, int, ios, keyed, mergeOnly, qty, qtyMap, ref, str, type } from './dsl.js';

type(
  `${CORE}ContainerPort`,
  'A network port a container listens on.',
  {
    name: str('IANA service name for the port, unique within the pod; Services can refer to it.'),
    hostPort: int('Port to expose on the node; rarely needed.'),
    containerPort: int('Port number on the pod IP.'),
    protocol: str('TCP, UDP or SCTP; TCP by default.'),
    hostIP: str('Host IP to bind the host port to.'),
  },
  { required: ['containerPort'] },
);

type(
  `${CORE}ObjectFieldSelector`,
  'Selects a field of the pod.',
  { apiVersion: str('Version the field path is in; v1 by default.'), fieldPath: str('Path of the field, e.g. metadata.name or status.podIP.') },
  { required: ['fieldPath'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}ResourceFieldSelector`,
  'Selects a resource request or limit of a container.',
  {
    containerName: str('Container name; required for volumes.'),
    resource: str('The resource, e.g. limits.cpu or requests.memory.'),
    divisor: qty('Unit of the exposed value; 1 by default.'),
  },
  { required: ['resource'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}ConfigMapKeySelector`,
  'Selects a key of a ConfigMap.',
  { name: str('Name of the ConfigMap.'), key: str('The key.'), optional: bool('Whether the ConfigMap or key may be missing.') },
  { required: ['key'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}SecretKeySelector`,
  'Selects a key of a Secret.',
  { name: str('Name of the Secret.'), key: str('The key.'), optional: bool('Whether the Secret or key may be missing.') },
  { required: ['key'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(`${CORE}EnvVarSource`, 'Where the value of an environment variable comes from.', {
  fieldRef: core('ObjectFieldSelector', 'A field of the pod.'),
  resourceFieldRef: core('ResourceFieldSelector', 'A resource request or limit of a container.'),
  configMapKeyRef: core('ConfigMapKeySelector', 'A key of a ConfigMap.'),
  secretKeyRef: core('SecretKeySelector', 'A key of a Secret.'),
});
type(
  `${CORE}EnvVar`,
  'An environment variable of a container.',
  {
    name: str('Name of the variable.'),
    value: str('Value; $(VAR) references to earlier variables are expanded.'),
    valueFrom: core('EnvVarSource', 'Source of the value, when value is empty.'),
  },
  { required: ['name'] },
);
type(`${CORE}ConfigMapEnvSource`, 'A ConfigMap whose keys become environment variables.', {
  name: str('Name of the ConfigMap.'),
  optional: bool('Whether the ConfigMap may be missing.'),
});
type(`${CORE}SecretEnvSource`, 'A Secret whose keys become environment variables.', {
  name: str('Name of the Secret.'),
  optional: bool('Whether the Secret may be missing.'),
});
type(`${CORE}EnvFromSource`, 'A source of many environment variables.', {
  prefix: str('Prefix added to each key.'),
  configMapRef: core('ConfigMapEnvSource', 'The ConfigMap.'),
  secretRef: core('SecretEnvSource', 'The Secret.'),
});

type(
  `${CORE}ResourceClaim`,
  'A claim of a DynamicResourceAllocation resource.',
  { name: str('Name of an entry of pod.spec.resourceClaims.'), request: str('Request within the claim.') },
  { required: ['name'] },
);
type(`${CORE}ResourceRequirements`, 'Compute resources a container asks for and may use.', {
  limits: qtyMap('Most of each resource the container may use.'),
  requests: qtyMap('Least of each resource the container needs; used for scheduling. Defaults to limits.'),
  claims: keyed(ref(`${CORE}ResourceClaim`), ['name'], 'Dynamic resource claims the container uses.'),
});
type(
  `${CORE}ContainerResizePolicy`,
  'How a container is resized in place.',
  { resourceName: str('cpu or memory.'), restartPolicy: str('NotRequired or RestartContainer.') },
  { required: ['resourceName', 'restartPolicy'] },
);

type(
  `${CORE}VolumeMount`,
  'Mounts a volume into a container.',
  {
    name: str('Name of a volume of the pod.'),
    readOnly: bool('Mount read-only.'),
    recursiveReadOnly: str('Disabled, IfPossible or Enabled.'),
    mountPath: str('Path in the container; must not contain a colon.'),
    subPath: str('Path within the volume to mount; the root by default.'),
    mountPropagation: str('None, HostToContainer or Bidirectional.'),
    subPathExpr: str('Like subPath, with $(VAR) expanded from the environment.'),
  },
  { required: ['name', 'mountPath'] },
);
type(
  `${CORE}VolumeDevice`,
  'A raw block device inside a container.',
  { name: str('Name of a persistentVolumeClaim volume of the pod.'), devicePath: str('Path of the device in the container.') },
  { required: ['name', 'devicePath'] },
);

type(`${CORE}ExecAction`, 'Runs a command in the container.', { command: arr(str(), 'Command and arguments, run without a shell; exit 0 is success.') });
type(`${CORE}HTTPHeader`, 'A header of a probe request.', { name: str('Header name.'), value: str('Header value.') }, { required: ['name', 'value'] });
type(
  `${CORE}HTTPGetAction`,
  'An HTTP GET request; 200-399 is success.',
  {
    path: str('Path to request.'),
    port: ios('Port number or name.'),
    host: str('Host to connect to; the pod IP by default.'),
    scheme: str('HTTP or HTTPS; HTTP by default.'),
    httpHeaders: arr(ref(`${CORE}HTTPHeader`), 'Extra request headers.'),
  },
  { required: ['port'] },
);
type(
  `${CORE}TCPSocketAction`,
  'Opens a TCP connection; connecting is success.',
  { port: ios('Port number or name.'), host: str('Host to connect to; the pod IP by default.') },
  { required: ['port'] },
);
type(
  `${CORE}GRPCAction`,
  'Calls the gRPC health checking service.',
  { port: int('Port number.'), service: str('Service name passed to the health check.') },
  { required: ['port'] },
);
type(`${CORE}SleepAction`, 'Sleeps.', { seconds: i64('Seconds to sleep.') }, { required: ['seconds'] });

type(`${CORE}Probe`, 'A health check of a container: one action and how often and how strictly to run it.', {
  exec: core('ExecAction', 'Run a command.'),
  httpGet: core('HTTPGetAction', 'Send an HTTP GET.'),
  tcpSocket: core('TCPSocketAction', 'Open a TCP connection.'),
  grpc: core('GRPCAction', 'Call the gRPC health service.'),
  initialDelaySeconds: int('Seconds after start before the first probe.'),
  timeoutSeconds: int('Seconds before a probe times out; 1 by default.'),
  periodSeconds: int('Seconds between probes; 10 by default.'),
  successThreshold: int('Consecutive successes to count as healthy after a failure; 1 by default.'),
  failureThreshold: int('Consecutive failures to count as failed; 3 by default.'),
  terminationGracePeriodSeconds: i64('Grace period when a liveness failure kills the container.'),
});
type(`${CORE}LifecycleHandler`, 'An action run at a lifecycle event.', {
  exec: core('ExecAction', 'Run a command.'),
  httpGet: core('HTTPGetAction', 'Send an HTTP GET.'),
  tcpSocket: core('TCPSocketAction', 'Deprecated: kept for compatibility.'),
  sleep: core('SleepAction', 'Sleep.'),
});
type(`${CORE}Lifecycle`, 'Actions run right after a container starts and right before it stops.', {
  postStart: core('LifecycleHandler', 'Run after the container is created; failure kills the container.'),
  preStop: core('LifecycleHandler', 'Run before the container is terminated.'),
});

type(`${CORE}Capabilities`, 'Linux capabilities to add and drop.', { add: arr(str(), 'Capabilities to add.'), drop: arr(str(), 'Capabilities to drop.') });
type(`${CORE}SELinuxOptions`, 'SELinux labels.', {
  user: str('SELinux user.'),
  role: str('SELinux role.'),
  type: str('SELinux type.'),
  level: str('SELinux level.'),
});
type(`${CORE}WindowsSecurityContextOptions`, 'Windows-specific security settings.', {
  gmsaCredentialSpecName: str('Name of the GMSA credential spec.'),
  gmsaCredentialSpec: str('The GMSA credential spec itself.'),
  runAsUserName: str('User to run as.'),
  hostProcess: bool('Run as a host process.'),
});
type(
  `${CORE}SeccompProfile`,
  'A seccomp profile.',
  { type: str('RuntimeDefault, Unconfined or Localhost.'), localhostProfile: str('Profile file on the node, for Localhost.') },
  { required: ['type'] },
);
type(
  `${CORE}AppArmorProfile`,
  'An AppArmor profile.',
  { type: str('RuntimeDefault, Unconfined or Localhost.'), localhostProfile: str('Profile loaded on the node, for Localhost.') },
  { required: ['type'] },
);
type(`${CORE}SecurityContext`, 'Security settings of one container; they override the pod security context.', {
  capabilities: core('Capabilities', 'Capabilities to add or drop.'),
  privileged: bool('Run privileged: root on the host, all devices.'),
  seLinuxOptions: core('SELinuxOptions', 'SELinux context.'),
  windowsOptions: core('WindowsSecurityContextOptions', 'Windows settings.'),
  runAsUser: i64('UID to run the entrypoint as.'),
  runAsGroup: i64('GID to run the entrypoint as.'),
  runAsNonRoot: bool('Refuse to start as UID 0.'),
  readOnlyRootFilesystem: bool('Mount the root filesystem read-only.'),
  allowPrivilegeEscalation: bool('Whether a process may gain more privileges than its parent.'),
  procMount: str('Default or Unmasked.'),
  seccompProfile: core('SeccompProfile', 'Seccomp profile.'),
  appArmorProfile: core('AppArmorProfile', 'AppArmor profile.'),
});

const containerFields = (kindWord: string) => ({
  name: str(`Name of the ${kindWord}, unique within the pod (DNS label).`),
  image: str('Container image reference.'),
  command: arr(str(), 'Entrypoint; the image ENTRYPOINT by default. $(VAR) is expanded.'),
  args: arr(str(), 'Arguments to the entrypoint; the image CMD by default. $(VAR) is expanded.'),
  workingDir: str("Working directory; the image's by default."),
  ports: keyed(ref(`${CORE}ContainerPort`), ['containerPort', 'protocol'], 'Ports the container exposes (informational).'),
  envFrom: arr(ref(`${CORE}EnvFromSource`), 'Sources of many environment variables.'),
  env: keyed(ref(`${CORE}EnvVar`), ['name'], 'Environment variables.'),
  resources: core('ResourceRequirements', 'Compute resources required.'),
  resizePolicy: arr(ref(`${CORE}ContainerResizePolicy`), 'How each resource is resized.'),
  restartPolicy: str('For init containers: Always makes a sidecar.'),
  volumeMounts: keyed(ref(`${CORE}VolumeMount`), ['mountPath'], 'Volumes mounted into the filesystem.'),
  volumeDevices: mergeOnly(ref(`${CORE}VolumeDevice`), 'devicePath', 'Block devices.'),
  livenessProbe: core('Probe', 'Restart the container when this fails.'),
  readinessProbe: core('Probe', 'Remove the pod from Service endpoints while this fails.'),
  startupProbe: core('Probe', 'Hold other probes until this succeeds.'),
  lifecycle: core('Lifecycle', 'Actions at start and stop.'),
  terminationMessagePath: str('File whose content becomes the termination message.'),
  terminationMessagePolicy: str('File or FallbackToLogsOnError.'),
  imagePullPolicy: str('Always, Never or IfNotPresent.'),
  securityContext: core('SecurityContext', 'Security settings.'),
  stdin: bool('Keep a stdin buffer open.'),
  stdinOnce: bool('Close stdin after the first attach detaches.'),
  tty: bool('Allocate a TTY.'),
});

type(`${CORE}Container`, 'A container of a pod.', containerFields('container'), { required: ['name'] });
type(
  `${CORE}EphemeralContainer`,
  'A temporary container added to a running pod for debugging.',
  {
    ...containerFields('ephemeral container'),
    targetContainerName: str('Container whose namespaces this one joins.'),
  },
  { required: ['name'] },
);
