// core/v1 top-level objects and the small references they share. The pod
// template lives in core-pod.proto.ts, volumes in core-volume.proto.ts. Field
// options are explained in meta.proto.ts.

export const CORE_PROTO = `
syntax = "proto2";
package core.v1;

message Namespace {
  optional meta.v1.ObjectMeta metadata = 1;
  optional NamespaceSpec spec = 2;
  optional NamespaceStatus status = 3;
}
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus {
  optional string phase = 1;
  repeated NamespaceCondition conditions = 2;
}
message NamespaceCondition {
  optional string type = 1 [(always)=true];
  optional string status = 2 [(always)=true];
  optional meta.v1.Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}

message ConfigMap {
  optional meta.v1.ObjectMeta metadata = 1;
  optional bool immutable = 4 [(ptr)=true];
  map<string, string> data = 2;
  map<string, bytes> binaryData = 3;
}

message Secret {
  optional meta.v1.ObjectMeta metadata = 1;
  optional bool immutable = 5 [(ptr)=true];
  map<string, bytes> data = 2;
  map<string, string> stringData = 4;
  optional string type = 3;
}

message ServiceAccount {
  optional meta.v1.ObjectMeta metadata = 1;
  repeated ObjectReference secrets = 2;
  repeated LocalObjectReference imagePullSecrets = 3;
  optional bool automountServiceAccountToken = 4 [(ptr)=true];
}

message ObjectReference {
  optional string kind = 1;
  optional string namespace = 2;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional string resourceVersion = 6;
  optional string fieldPath = 7;
}
message LocalObjectReference { optional string name = 1; }
// apiGroup is a Go *string without omitempty: absent means JSON null.
message TypedLocalObjectReference {
  optional string apiGroup = 1 [(ptr)=true, (always)=true];
  optional string kind = 2 [(always)=true];
  optional string name = 3 [(always)=true];
}
message TypedObjectReference {
  optional string apiGroup = 1 [(ptr)=true, (always)=true];
  optional string kind = 2 [(always)=true];
  optional string name = 3 [(always)=true];
  optional string namespace = 4 [(ptr)=true];
}

message Service {
  optional meta.v1.ObjectMeta metadata = 1;
  optional ServiceSpec spec = 2;
  optional ServiceStatus status = 3;
}
message ServiceSpec {
  repeated ServicePort ports = 1;
  map<string, string> selector = 2;
  optional string clusterIP = 3;
  repeated string clusterIPs = 18;
  optional string type = 4;
  repeated string externalIPs = 5;
  optional string sessionAffinity = 7;
  optional string loadBalancerIP = 8;
  repeated string loadBalancerSourceRanges = 9;
  optional string externalName = 10;
  optional string externalTrafficPolicy = 11;
  optional int32 healthCheckNodePort = 12;
  optional bool publishNotReadyAddresses = 13;
  optional SessionAffinityConfig sessionAffinityConfig = 14;
  repeated string ipFamilies = 19;
  optional string ipFamilyPolicy = 17 [(ptr)=true];
  optional bool allocateLoadBalancerNodePorts = 20 [(ptr)=true];
  optional string loadBalancerClass = 21 [(ptr)=true];
  optional string internalTrafficPolicy = 22 [(ptr)=true];
  optional string trafficDistribution = 23 [(ptr)=true];
}
message ServicePort {
  optional string name = 1;
  optional string protocol = 2;
  optional string appProtocol = 6 [(ptr)=true];
  optional int32 port = 3 [(always)=true];
  optional intstr.IntOrString targetPort = 4;
  optional int32 nodePort = 5;
}
message SessionAffinityConfig { optional ClientIPConfig clientIP = 1; }
message ClientIPConfig { optional int32 timeoutSeconds = 1 [(ptr)=true]; }
message ServiceStatus {
  optional LoadBalancerStatus loadBalancer = 1;
  repeated meta.v1.Condition conditions = 2;
}
message LoadBalancerStatus { repeated LoadBalancerIngress ingress = 1; }
message LoadBalancerIngress {
  optional string ip = 1;
  optional string hostname = 2;
  optional string ipMode = 3 [(ptr)=true];
  repeated PortStatus ports = 4;
}
message PortStatus {
  optional int32 port = 1 [(always)=true];
  optional string protocol = 2 [(always)=true];
  optional string error = 3 [(ptr)=true];
}

message ResourceQuota {
  optional meta.v1.ObjectMeta metadata = 1;
  optional ResourceQuotaSpec spec = 2;
  optional ResourceQuotaStatus status = 3;
}
message ResourceQuotaSpec {
  map<string, resource.Quantity> hard = 1;
  repeated string scopes = 2;
  optional ScopeSelector scopeSelector = 3;
}
message ResourceQuotaStatus {
  map<string, resource.Quantity> hard = 1;
  map<string, resource.Quantity> used = 2;
}
message ScopeSelector { repeated ScopedResourceSelectorRequirement matchExpressions = 1; }
message ScopedResourceSelectorRequirement {
  optional string scopeName = 1 [(always)=true];
  optional string operator = 2 [(always)=true];
  repeated string values = 3;
}

message PodTemplateSpec {
  optional meta.v1.ObjectMeta metadata = 1;
  optional PodSpec spec = 2;
}
`;
