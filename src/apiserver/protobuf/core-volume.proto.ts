// core/v1 pod volumes. The deprecated in-tree cloud and network plugins
// (gcePersistentDisk 3, awsElasticBlockStore 4, gitRepo 5, iscsi 8,
// glusterfs 9, rbd 11, flexVolume 12, cinder 13, cephfs 14, flocker 15, fc 17,
// azureFile 18, vsphereVolume 20, quobyte 21, azureDisk 22,
// photonPersistentDisk 23, portworxVolume 24, scaleIO 25, storageos 27) are
// left out on purpose: Skiff cannot mount them, and a body that uses one is
// rejected as an unknown field rather than silently losing the volume.
// Field options are explained in meta.proto.ts.

export const CORE_VOLUME_PROTO = `
syntax = "proto2";
package core.v1;

message Volume {
  optional string name = 1 [(always)=true];
  optional VolumeSource volumeSource = 2 [(inline)=true];
}
message VolumeSource {
  optional HostPathVolumeSource hostPath = 1;
  optional EmptyDirVolumeSource emptyDir = 2;
  optional SecretVolumeSource secret = 6;
  optional NFSVolumeSource nfs = 7;
  optional PersistentVolumeClaimVolumeSource persistentVolumeClaim = 10;
  optional DownwardAPIVolumeSource downwardAPI = 16;
  optional ConfigMapVolumeSource configMap = 19;
  optional ProjectedVolumeSource projected = 26;
  optional CSIVolumeSource csi = 28;
  optional EphemeralVolumeSource ephemeral = 29;
  optional ImageVolumeSource image = 30;
}

message HostPathVolumeSource {
  optional string path = 1 [(always)=true];
  optional string type = 2 [(ptr)=true];
}
message EmptyDirVolumeSource {
  optional string medium = 1;
  optional resource.Quantity sizeLimit = 2;
}
message SecretVolumeSource {
  optional string secretName = 1;
  repeated KeyToPath items = 2;
  optional int32 defaultMode = 3 [(ptr)=true];
  optional bool optional = 4 [(ptr)=true];
}
message NFSVolumeSource {
  optional string server = 1 [(always)=true];
  optional string path = 2 [(always)=true];
  optional bool readOnly = 3;
}
message PersistentVolumeClaimVolumeSource {
  optional string claimName = 1 [(always)=true];
  optional bool readOnly = 2;
}
message DownwardAPIVolumeSource {
  repeated DownwardAPIVolumeFile items = 1;
  optional int32 defaultMode = 2 [(ptr)=true];
}
message ConfigMapVolumeSource {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  repeated KeyToPath items = 2;
  optional int32 defaultMode = 3 [(ptr)=true];
  optional bool optional = 4 [(ptr)=true];
}
message ProjectedVolumeSource {
  repeated VolumeProjection sources = 1 [(always)=true];
  optional int32 defaultMode = 2 [(ptr)=true];
}
message CSIVolumeSource {
  optional string driver = 1 [(always)=true];
  optional bool readOnly = 2 [(ptr)=true];
  optional string fsType = 3 [(ptr)=true];
  map<string, string> volumeAttributes = 4;
  optional LocalObjectReference nodePublishSecretRef = 5;
}
message EphemeralVolumeSource { optional PersistentVolumeClaimTemplate volumeClaimTemplate = 1; }
message ImageVolumeSource {
  optional string reference = 1;
  optional string pullPolicy = 2;
}

message KeyToPath {
  optional string key = 1 [(always)=true];
  optional string path = 2 [(always)=true];
  optional int32 mode = 3 [(ptr)=true];
}
message DownwardAPIVolumeFile {
  optional string path = 1 [(always)=true];
  optional ObjectFieldSelector fieldRef = 2;
  optional ResourceFieldSelector resourceFieldRef = 3;
  optional int32 mode = 4 [(ptr)=true];
}

message VolumeProjection {
  optional SecretProjection secret = 1;
  optional DownwardAPIProjection downwardAPI = 2;
  optional ConfigMapProjection configMap = 3;
  optional ServiceAccountTokenProjection serviceAccountToken = 4;
  optional ClusterTrustBundleProjection clusterTrustBundle = 5;
}
message SecretProjection {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  repeated KeyToPath items = 2;
  optional bool optional = 4 [(ptr)=true];
}
message ConfigMapProjection {
  optional LocalObjectReference localObjectReference = 1 [(inline)=true];
  repeated KeyToPath items = 2;
  optional bool optional = 4 [(ptr)=true];
}
message DownwardAPIProjection { repeated DownwardAPIVolumeFile items = 1; }
message ServiceAccountTokenProjection {
  optional string audience = 1;
  optional int64 expirationSeconds = 2 [(ptr)=true];
  optional string path = 3 [(always)=true];
}
message ClusterTrustBundleProjection {
  optional string name = 1 [(ptr)=true];
  optional string signerName = 2 [(ptr)=true];
  optional meta.v1.LabelSelector labelSelector = 3;
  optional bool optional = 5 [(ptr)=true];
  optional string path = 4 [(always)=true];
}

message PersistentVolumeClaimTemplate {
  optional meta.v1.ObjectMeta metadata = 1;
  optional PersistentVolumeClaimSpec spec = 2;
}
message PersistentVolumeClaimSpec {
  repeated string accessModes = 1;
  optional meta.v1.LabelSelector selector = 4;
  optional VolumeResourceRequirements resources = 2;
  optional string volumeName = 3;
  optional string storageClassName = 5 [(ptr)=true];
  optional string volumeMode = 6 [(ptr)=true];
  optional TypedLocalObjectReference dataSource = 7;
  optional TypedObjectReference dataSourceRef = 8;
  optional string volumeAttributesClassName = 9 [(ptr)=true];
}
message VolumeResourceRequirements {
  map<string, resource.Quantity> limits = 1;
  map<string, resource.Quantity> requests = 2;
}
`;
