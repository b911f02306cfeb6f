// core/v1 PodSpec and everything that hangs off it except volumes
// (core-volume.proto.ts). Field options are explained in meta.proto.ts.

export const CORE_POD_PROTO = `
syntax = "proto2";
package core.v1;

message PodSpec {
  repeated Volume volumes = 1;
  repeated Container initContainers = 20;
  repeated Container containers = 2 [(always)=true];
  repeated EphemeralContainer ephemeralContainers = 34;
  optional string restartPolicy = 3;
  optional int64 terminationGracePeriodSeconds = 4 [(ptr)=true];
  optional int64 activeDeadlineSeconds = 5 [(ptr)=true];
  optional string dnsPolicy = 6;
  map<string, string> nodeSelector = 7;
  optional string serviceAccountName = 8;
  optional string serviceAccount = 9;
  optional bool automountServiceAccountToken = 21 [(ptr)=true];
  optional string nodeName = 10;
  optional bool hostNetwork = 11;
  optional bool hostPID = 12;
  optional bool hostIPC = 13;
  optional bool shareProcessNamespace = 27 [(ptr)=true];
  optional PodSecurityContext securityContext = 14;
  repeated LocalObjectReference imagePullSecrets = 15;
  optional string hostname = 16;
  optional string subdomain = 17;
  optional Affinity affinity = 18;
  optional string schedulerName = 19;
  repeated Toleration tolerations = 22;
  repeated HostAlias hostAliases = 23;
  optional string priorityClassName = 24;
  optional int32 priority = 25 [(ptr)=true];
  optional PodDNSConfig dnsConfig = 26;
  repeated PodReadinessGate readinessGates = 28;
  optional string runtimeClassName = 29 [(ptr)=true];
  optional bool enableServiceLinks = 30 [(ptr)=true];
  optional string preemptionPolicy = 31 [(ptr)=true];
  map<string, resource.Quantity> overhead = 32;
  repeated TopologySpreadConstraint topologySpreadConstraints = 33;
  optional bool setHostnameAsFQDN = 35 [(ptr)=true];
  optional PodOS os = 36;
  optional bool hostUsers = 37 [(ptr)=true];
  repeated PodSchedulingGate schedulingGates = 38;
  repeated PodResourceClaim resourceClaims = 39;
  optional ResourceRequirements resources = 40;
}

message Container {
  optional string name = 1 [(always)=true];
  optional string image = 2;
  repeated string command = 3;
  repeated string args = 4;
  optional string workingDir = 5;
  repeated ContainerPort ports = 6;
  repeated EnvFromSource envFrom = 19;
  repeated EnvVar env = 7;
  optional ResourceRequirements resources = 8;
  repeated ContainerResizePolicy resizePolicy = 23;
  optional string restartPolicy = 24 [(ptr)=true];
  repeated VolumeMount volumeMounts = 9;
  repeated VolumeDevice volumeDevices = 21;
  optional Probe livenessProbe = 10;
  optional Probe readinessProbe = 11;
  optional Probe startupProbe = 22;
  optional Lifecycle lifecycle = 12;
  optional string terminationMessagePath = 13;
  optional string terminationMessagePolicy = 20;
  optional string imagePullPolicy = 14;
  optional SecurityContext securityContext = 15;
  optional bool stdin = 16;
  optional bool stdinOnce = 17;
  optional bool tty = 18;
}

// Same field numbers as Container; Go embeds it inline.
message EphemeralContainer {
  optional Container ephemeralContainerCommon = 1 [(inline)=true];
  optional string targetContainerName = 2;
}

message ContainerPort {
  optional string name = 1;
  optional int32 hostPort = 2;
  optional int32 containerPort = 3 [(always)=true];
  optional string protocol = 4;
  optional string hostIP = 5;
}

message EnvVar {
  optional string name = 1 [(always)=true];
  optional string value = 2;
  optional EnvVarSource valueFrom = 3;
}
message EnvVarSource {
  optional ObjectFieldSelector fieldRef = 1;
  optional ResourceFieldSelector resourceFieldRef = 2;
  optional ConfigMapKeySelector configMapKeyRef = 3;
  optional SecretKeySelector secretKeyRef = 4;
}
message ObjectFieldSelector {
  optional string apiVersion = 1;
  optional string fieldPath = 2 [(always)=true];
}
message ResourceFieldSelector {
  optional string containerName = 1;
  optional string resource = 2 [(always)=true];
  optional resource.Quantity divisor = 3;
}
message ConfigMapKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  optional string key = 2 [(always)=true];
  optional bool optional = 3 [(ptr)=true];
}
message SecretKeySelector {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  optional string key = 2 [(always)=true];
  optional bool optional = 3 [(ptr)=true];
}
message EnvFromSource {
  optional string prefix = 1;
  optional ConfigMapEnvSource configMapRef = 2;
  optional SecretEnvSource secretRef = 3;
}
message ConfigMapEnvSource {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  optional bool optional = 2 [(ptr)=true];
}
message SecretEnvSource {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  optional bool optional = 2 [(ptr)=true];
}

message ResourceRequirements {
  map<string, resource.Quantity> limits = 1;
  map<string, resource.Quantity> requests = 2;
  repeated ResourceClaim claims = 3;
}
message ResourceClaim {
  optional string name = 1 [(always)=true];
  optional string request = 2;
}
message ContainerResizePolicy {
  optional string resourceName = 1 [(always)=true];
  optional string restartPolicy = 2 [(always)=true];
}

message VolumeMount {
  optional string name = 1 [(always)=true];
  optional bool readOnly = 2;
  optional string recursiveReadOnly = 7 [(ptr)=true];
  optional string mountPath = 3 [(always)=true];
  optional string subPath = 4;
  optional string mountPropagation = 5 [(ptr)=true];
  optional string subPathExpr = 6;
}
message VolumeDevice {
  optional string name = 1 [(always)=true];
  optional string devicePath = 2 [(always)=true];
}

message Probe {
  optional ProbeHandler handler = 1 [(inline)=true];
  optional int32 initialDelaySeconds = 2;
  optional int32 timeoutSeconds = 3;
  optional int32 periodSeconds = 4;
  optional int32 successThreshold = 5;
  optional int32 failureThreshold = 6;
  optional int64 terminationGracePeriodSeconds = 7 [(ptr)=true];
}
message ProbeHandler {
  optional ExecAction exec = 1;
  optional HTTPGetAction httpGet = 2;
  optional TCPSocketAction tcpSocket = 3;
  optional GRPCAction grpc = 4;
}
message Lifecycle {
  optional LifecycleHandler postStart = 1;
  optional LifecycleHandler preStop = 2;
}
message LifecycleHandler {
  optional ExecAction exec = 1;
  optional HTTPGetAction httpGet = 2;
  optional TCPSocketAction tcpSocket = 3;
  optional SleepAction sleep = 4;
}
message ExecAction { repeated string command = 1; }
message HTTPGetAction {
  optional string path = 1;
  optional intstr.IntOrString port = 2;
  optional string host = 3;
  optional string scheme = 4;
  repeated HTTPHeader httpHeaders = 5;
}
message HTTPHeader {
  optional string name = 1 [(always)=true];
  optional string value = 2 [(always)=true];
}
message TCPSocketAction {
  optional intstr.IntOrString port = 1;
  optional string host = 2;
}
message GRPCAction {
  optional int32 port = 1 [(always)=true];
  optional string service = 2 [(ptr)=true, (always)=true];
}
message SleepAction { optional int64 seconds = 1 [(always)=true]; }

message SecurityContext {
  optional Capabilities capabilities = 1;
  optional bool privileged = 2 [(ptr)=true];
  optional SELinuxOptions seLinuxOptions = 3;
  optional WindowsSecurityContextOptions windowsOptions = 10;
  optional int64 runAsUser = 4 [(ptr)=true];
  optional int64 runAsGroup = 8 [(ptr)=true];
  optional bool runAsNonRoot = 5 [(ptr)=true];
  optional bool readOnlyRootFilesystem = 6 [(ptr)=true];
  optional bool allowPrivilegeEscalation = 7 [(ptr)=true];
  optional string procMount = 9 [(ptr)=true];
  optional SeccompProfile seccompProfile = 11;
  optional AppArmorProfile appArmorProfile = 12;
}
message Capabilities {
  repeated string add = 1;
  repeated string drop = 2;
}
message SELinuxOptions {
  optional string user = 1;
  optional string role = 2;
  optional string type = 3;
  optional string level = 4;
}
message WindowsSecurityContextOptions {
  optional string gmsaCredentialSpecName = 1 [(ptr)=true];
  optional string gmsaCredentialSpec = 2 [(ptr)=true];
  optional string runAsUserName = 3 [(ptr)=true];
  optional bool hostProcess = 4 [(ptr)=true];
}
message SeccompProfile {
  optional string type = 1 [(always)=true];
  optional string localhostProfile = 2 [(ptr)=true];
}
message AppArmorProfile {
  optional string type = 1 [(always)=true];
  optional string localhostProfile = 2 [(ptr)=true];
}
message PodSecurityContext {
  optional SELinuxOptions seLinuxOptions = 1;
  optional WindowsSecurityContextOptions windowsOptions = 8;
  optional int64 runAsUser = 2 [(ptr)=true];
  optional int64 runAsGroup = 6 [(ptr)=true];
  optional bool runAsNonRoot = 3 [(ptr)=true];
  repeated int64 supplementalGroups = 4;
  optional string supplementalGroupsPolicy = 12 [(ptr)=true];
  optional int64 fsGroup = 5 [(ptr)=true];
  repeated Sysctl sysctls = 7;
  optional string fsGroupChangePolicy = 9 [(ptr)=true];
  optional SeccompProfile seccompProfile = 10;
  optional AppArmorProfile appArmorProfile = 11;
  optional string seLinuxChangePolicy = 13 [(ptr)=true];
}
message Sysctl {
  optional string name = 1 [(always)=true];
  optional string value = 2 [(always)=true];
}

message Toleration {
  optional string key = 1;
  optional string operator = 2;
  optional string value = 3;
  optional string effect = 4;
  optional int64 tolerationSeconds = 5 [(ptr)=true];
}

message Affinity {
  optional NodeAffinity nodeAffinity = 1;
  optional PodAffinity podAffinity = 2;
  optional PodAntiAffinity podAntiAffinity = 3;
}
message NodeAffinity {
  optional NodeSelector requiredDuringSchedulingIgnoredDuringExecution = 1;
  repeated PreferredSchedulingTerm preferredDuringSchedulingIgnoredDuringExecution = 2;
}
message NodeSelector { repeated NodeSelectorTerm nodeSelectorTerms = 1 [(always)=true]; }
message NodeSelectorTerm {
  repeated NodeSelectorRequirement matchExpressions = 1;
  repeated NodeSelectorRequirement matchFields = 2;
}
message NodeSelectorRequirement {
  optional string key = 1 [(always)=true];
  optional string operator = 2 [(always)=true];
  repeated string values = 3;
}
message PreferredSchedulingTerm {
  optional int32 weight = 1 [(always)=true];
  optional NodeSelectorTerm preference = 2;
}
message PodAffinity {
  repeated PodAffinityTerm requiredDuringSchedulingIgnoredDuringExecution = 1;
  repeated WeightedPodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution = 2;
}
message PodAntiAffinity {
  repeated PodAffinityTerm requiredDuringSchedulingIgnoredDuringExecution = 1;
  repeated WeightedPodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution = 2;
}
message PodAffinityTerm {
  optional meta.v1.LabelSelector labelSelector = 1;
  repeated string namespaces = 2;
  optional string topologyKey = 3 [(always)=true];
  optional meta.v1.LabelSelector namespaceSelector = 4;
  repeated string matchLabelKeys = 5;
  repeated string mismatchLabelKeys = 6;
}
message WeightedPodAffinityTerm {
  optional int32 weight = 1 [(always)=true];
  optional PodAffinityTerm podAffinityTerm = 2;
}

message HostAlias {
  optional string ip = 1 [(always)=true];
  repeated string hostnames = 2;
}
message PodDNSConfig {
  repeated string nameservers = 1;
  repeated string searches = 2;
  repeated PodDNSConfigOption options = 3;
}
message PodDNSConfigOption {
  optional string name = 1;
  optional string value = 2 [(ptr)=true];
}
message PodReadinessGate { optional string conditionType = 1 [(always)=true]; }
message TopologySpreadConstraint {
  optional int32 maxSkew = 1 [(always)=true];
  optional string topologyKey = 2 [(always)=true];
  optional string whenUnsatisfiable = 3 [(always)=true];
  optional meta.v1.LabelSelector labelSelector = 4;
  optional int32 minDomains = 5 [(ptr)=true];
  optional string nodeAffinityPolicy = 6 [(ptr)=true];
  optional string nodeTaintsPolicy = 7 [(ptr)=true];
  repeated string matchLabelKeys = 8;
}
message PodOS { optional string name = 1 [(always)=true]; }
message PodSchedulingGate { optional string name = 1 [(always)=true]; }
message PodResourceClaim {
  optional string name = 1 [(always)=true];
  optional string resourceClaimName = 3 [(ptr)=true];
  optional string resourceClaimTemplateName = 4 [(ptr)=true];
}
`;
