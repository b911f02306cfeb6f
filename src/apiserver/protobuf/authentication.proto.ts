// authentication.k8s.io/v1 request bodies kubectl sends as protobuf: TokenRequest
// (`kubectl create token`), TokenReview and SelfSubjectReview (`kubectl auth whoami`).
// Field options are explained in meta.proto.ts.

export const AUTHENTICATION_PROTO = `
syntax = "proto2";
package authentication.v1;

message BoundObjectReference {
  optional string kind = 1;
  optional string apiVersion = 2;
  optional string name = 3;
  optional string uid = 4;
}
message TokenRequestSpec {
  repeated string audiences = 1 [(always)=true];
  optional int64 expirationSeconds = 4 [(ptr)=true];
  optional BoundObjectReference boundObjectRef = 3;
}
message TokenRequestStatus {
  optional string token = 1;
  optional meta.v1.Time expirationTimestamp = 2;
}
message TokenRequest {
  optional meta.v1.ObjectMeta metadata = 1;
  optional TokenRequestSpec spec = 2;
  optional TokenRequestStatus status = 3;
}
message TokenReviewSpec {
  optional string token = 1;
  repeated string audiences = 2;
}
message TokenReview {
  optional meta.v1.ObjectMeta metadata = 1;
  optional TokenReviewSpec spec = 2;
  optional TokenReviewStatus status = 3;
}
message ExtraValue { repeated string items = 1; }
message UserInfo {
  optional string username = 1;
  optional string uid = 2;
  repeated string groups = 3;
  map<string, ExtraValue> extra = 4;
}
message TokenReviewStatus {
  optional bool authenticated = 1;
  optional UserInfo user = 2;
  optional string error = 3;
  repeated string audiences = 4;
}
message SelfSubjectReviewStatus { optional UserInfo userInfo = 1; }
message SelfSubjectReview {
  optional meta.v1.ObjectMeta metadata = 1;
  optional SelfSubjectReviewStatus status = 2;
}
`;
