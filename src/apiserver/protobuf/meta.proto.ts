// Wire schema for apimachinery's shared types (meta/v1, runtime, intstr,
// resource). Written for Skiff: only field numbers, wire types and names have
// to match Kubernetes' generated.proto; package names are shortened because
// nothing on the wire carries them.
//
// Field options (parsed by protobufjs, never seen by protoc) carry what the
// .proto cannot say but the Go JSON encoding depends on:
//   (ptr)    Go pointer scalar: written only when set, so keep zero values.
//   (always) Go field without omitempty: JSON always has it (zero or null).
//   (inline) Go embedded struct with `json:",inline"`: merge into parent.
// Unmarked scalars are Go non-pointer omitempty fields: gogo writes them even
// when zero, encoding/json drops them, and so does the decoder.

export const META_PROTO = `
syntax = "proto2";
package meta.v1;

message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message MicroTime { optional int64 seconds = 1; optional int32 nanos = 2; }
message FieldsV1 { optional bytes Raw = 1; }

message TypeMeta {
  optional string kind = 1;
  optional string apiVersion = 2;
}

message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string selfLink = 4;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7;
  optional Time creationTimestamp = 8;
  optional Time deletionTimestamp = 9;
  optional int64 deletionGracePeriodSeconds = 10 [(ptr)=true];
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13;
  repeated string finalizers = 14;
  repeated ManagedFieldsEntry managedFields = 17;
}

message OwnerReference {
  optional string apiVersion = 5 [(always)=true];
  optional string kind = 1 [(always)=true];
  optional string name = 3 [(always)=true];
  optional string uid = 4 [(always)=true];
  optional bool controller = 6 [(ptr)=true];
  optional bool blockOwnerDeletion = 7 [(ptr)=true];
}

message ManagedFieldsEntry {
  optional string manager = 1;
  optional string operation = 2;
  optional string apiVersion = 3;
  optional Time time = 4;
  optional string fieldsType = 6;
  optional FieldsV1 fieldsV1 = 7;
  optional string subresource = 8;
}

message LabelSelector {
  map<string, string> matchLabels = 1;
  repeated LabelSelectorRequirement matchExpressions = 2;
}

message LabelSelectorRequirement {
  optional string key = 1 [(always)=true];
  optional string operator = 2 [(always)=true];
  repeated string values = 3;
}

message Condition {
  optional string type = 1 [(always)=true];
  optional string status = 2 [(always)=true];
  optional int64 observedGeneration = 3;
  optional Time lastTransitionTime = 4;
  optional string reason = 5 [(always)=true];
  optional string message = 6 [(always)=true];
}
`;

// runtime.TypeMeta numbers apiVersion/kind the other way round from
// meta.v1.TypeMeta; the envelope uses this one.
export const RUNTIME_PROTO = `
syntax = "proto2";
package runtime;

message TypeMeta {
  optional string apiVersion = 1;
  optional string kind = 2;
}

message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}

message RawExtension { optional bytes raw = 1; }
`;

export const INTSTR_PROTO = `
syntax = "proto2";
package intstr;

message IntOrString {
  optional int64 type = 1;
  optional int32 intVal = 2;
  optional string strVal = 3;
}
`;

export const RESOURCE_PROTO = `
syntax = "proto2";
package resource;

message Quantity { optional string string = 1; }
`;
