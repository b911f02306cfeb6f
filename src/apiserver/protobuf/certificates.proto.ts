// certificates.k8s.io/v1 (kubectl certificate approve/deny sends the CSR as protobuf).
// Field options are explained in meta.proto.ts.

export const CERTIFICATES_PROTO = `
syntax = "proto2";
package certificates.v1;

message CertificateSigningRequest {
  optional meta.v1.ObjectMeta metadata = 1;
  optional CertificateSigningRequestSpec spec = 2;
  optional CertificateSigningRequestStatus status = 3;
}
message CertificateSigningRequestSpec {
  optional bytes request = 1 [(always)=true];
  optional string username = 2;
  optional string uid = 3;
  repeated string groups = 4;
  repeated string usages = 5;
  map<string, ExtraValue> extra = 6;
  optional string signerName = 7 [(always)=true];
  optional int32 expirationSeconds = 8 [(ptr)=true];
}
message ExtraValue { repeated string items = 1; }
message CertificateSigningRequestStatus {
  repeated CertificateSigningRequestCondition conditions = 1;
  optional bytes certificate = 2;
}
message CertificateSigningRequestCondition {
  optional string type = 1 [(always)=true];
  optional string reason = 2;
  optional string message = 3;
  optional meta.v1.Time lastUpdateTime = 4;
  optional meta.v1.Time lastTransitionTime = 5;
  optional string status = 6 [(always)=true];
}
`;
