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
}
message SelfSubjectReview {
  optional meta.v1.ObjectMeta metadata = 1;
}
`;
