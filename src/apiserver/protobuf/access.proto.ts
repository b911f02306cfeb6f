// rbac/v1, scheduling/v1, policy/v1 and networking/v1 (Ingress). Field
// options are explained in meta.proto.ts.

export const RBAC_PROTO = `
syntax = "proto2";
package rbac.v1;

message Role {
  optional meta.v1.ObjectMeta metadata = 1;
  repeated PolicyRule rules = 2 [(always)=true];
}
message ClusterRole {
  optional meta.v1.ObjectMeta metadata = 1;
  repeated PolicyRule rules = 2 [(always)=true];
  optional AggregationRule aggregationRule = 3;
}
message PolicyRule {
  repeated string verbs = 1 [(always)=true];
  repeated string apiGroups = 2;
  repeated string resources = 3;
  repeated string resourceNames = 4;
  repeated string nonResourceURLs = 5;
}
message AggregationRule { repeated meta.v1.LabelSelector clusterRoleSelectors = 1; }
message RoleBinding {
  optional meta.v1.ObjectMeta metadata = 1;
  repeated Subject subjects = 2;
  optional RoleRef roleRef = 3;
}
message ClusterRoleBinding {
  optional meta.v1.ObjectMeta metadata = 1;
  repeated Subject subjects = 2;
  optional RoleRef roleRef = 3;
}
message Subject {
  optional string kind = 1 [(always)=true];
  optional string apiGroup = 2;
  optional string name = 3 [(always)=true];
  optional string namespace = 4;
}
message RoleRef {
  optional string apiGroup = 1 [(always)=true];
  optional string kind = 2 [(always)=true];
  optional string name = 3 [(always)=true];
}
`;

export const SCHEDULING_PROTO = `
syntax = "proto2";
package scheduling.v1;

message PriorityClass {
  optional meta.v1.ObjectMeta metadata = 1;
  optional int32 value = 2 [(always)=true];
  optional bool globalDefault = 3;
  optional string description = 4;
  optional string preemptionPolicy = 5 [(ptr)=true];
}
`;

export const POLICY_PROTO = `
syntax = "proto2";
package policy.v1;

message PodDisruptionBudget {
  optional meta.v1.ObjectMeta metadata = 1;
  optional PodDisruptionBudgetSpec spec = 2;
  optional PodDisruptionBudgetStatus status = 3;
}
message PodDisruptionBudgetSpec {
  optional intstr.IntOrString minAvailable = 1;
  optional meta.v1.LabelSelector selector = 2;
  optional intstr.IntOrString maxUnavailable = 3;
  optional string unhealthyPodEvictionPolicy = 4 [(ptr)=true];
}
message PodDisruptionBudgetStatus {
  optional int64 observedGeneration = 1;
  map<string, meta.v1.Time> disruptedPods = 2;
  optional int32 disruptionsAllowed = 3 [(always)=true];
  optional int32 currentHealthy = 4 [(always)=true];
  optional int32 desiredHealthy = 5 [(always)=true];
  optional int32 expectedPods = 6 [(always)=true];
  repeated meta.v1.Condition conditions = 7;
}
`;

export const NETWORKING_PROTO = `
syntax = "proto2";
package networking.v1;

message Ingress {
  optional meta.v1.ObjectMeta metadata = 1;
  optional IngressSpec spec = 2;
  optional IngressStatus status = 3;
}
message IngressSpec {
  optional string ingressClassName = 4 [(ptr)=true];
  optional IngressBackend defaultBackend = 1;
  repeated IngressTLS tls = 2;
  repeated IngressRule rules = 3;
}
message IngressBackend {
  optional IngressServiceBackend service = 4;
  optional core.v1.TypedLocalObjectReference resource = 3;
}
message IngressServiceBackend {
  optional string name = 1 [(always)=true];
  optional ServiceBackendPort port = 2;
}
message ServiceBackendPort {
  optional string name = 1;
  optional int32 number = 2;
}
message IngressTLS {
  repeated string hosts = 1;
  optional string secretName = 2;
}
message IngressRule {
  optional string host = 1;
  optional IngressRuleValue ingressRuleValue = 2 [(inline)=true];
}
message IngressRuleValue { optional HTTPIngressRuleValue http = 1; }
message HTTPIngressRuleValue { repeated HTTPIngressPath paths = 1 [(always)=true]; }
// pathType is a Go *string without omitempty: absent means JSON null.
message HTTPIngressPath {
  optional string path = 1;
  optional string pathType = 3 [(ptr)=true, (always)=true];
  optional IngressBackend backend = 2;
}
message IngressStatus { optional IngressLoadBalancerStatus loadBalancer = 1; }
message IngressLoadBalancerStatus { repeated IngressLoadBalancerIngress ingress = 1; }
message IngressLoadBalancerIngress {
  optional string ip = 1;
  optional string hostname = 2;
  repeated IngressPortStatus ports = 4;
}
message IngressPortStatus {
  optional int32 port = 1 [(always)=true];
  optional string protocol = 2 [(always)=true];
  optional string error = 3 [(ptr)=true];
}
`;
