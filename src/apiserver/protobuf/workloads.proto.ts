// apps/v1 Deployment and batch/v1 Job, CronJob. Field options are explained
// in meta.proto.ts.

export const APPS_PROTO = `
syntax = "proto2";
package apps.v1;

message Deployment {
  optional meta.v1.ObjectMeta metadata = 1;
  optional DeploymentSpec spec = 2;
  optional DeploymentStatus status = 3;
}
message DeploymentSpec {
  optional int32 replicas = 1 [(ptr)=true];
  optional meta.v1.LabelSelector selector = 2 [(always)=true];
  optional core.v1.PodTemplateSpec template = 3;
  optional DeploymentStrategy strategy = 4;
  optional int32 minReadySeconds = 5;
  optional int32 revisionHistoryLimit = 6 [(ptr)=true];
  optional bool paused = 7;
  optional int32 progressDeadlineSeconds = 9 [(ptr)=true];
}
message DeploymentStrategy {
  optional string type = 1;
  optional RollingUpdateDeployment rollingUpdate = 2;
}
message RollingUpdateDeployment {
  optional intstr.IntOrString maxUnavailable = 1;
  optional intstr.IntOrString maxSurge = 2;
}
message DeploymentStatus {
  optional int64 observedGeneration = 1;
  optional int32 replicas = 2;
  optional int32 updatedReplicas = 3;
  optional int32 readyReplicas = 7;
  optional int32 availableReplicas = 4;
  optional int32 unavailableReplicas = 5;
  repeated DeploymentCondition conditions = 6;
  optional int32 collisionCount = 8 [(ptr)=true];
}
message DeploymentCondition {
  optional string type = 1 [(always)=true];
  optional string status = 2 [(always)=true];
  optional meta.v1.Time lastUpdateTime = 6;
  optional meta.v1.Time lastTransitionTime = 7;
  optional string reason = 4;
  optional string message = 5;
}
`;

export const BATCH_PROTO = `
syntax = "proto2";
package batch.v1;

message Job {
  optional meta.v1.ObjectMeta metadata = 1;
  optional JobSpec spec = 2;
  optional JobStatus status = 3;
}
message JobSpec {
  optional int32 parallelism = 1 [(ptr)=true];
  optional int32 completions = 2 [(ptr)=true];
  optional int64 activeDeadlineSeconds = 3 [(ptr)=true];
  optional PodFailurePolicy podFailurePolicy = 11;
  optional SuccessPolicy successPolicy = 16;
  optional int32 backoffLimit = 7 [(ptr)=true];
  optional int32 backoffLimitPerIndex = 12 [(ptr)=true];
  optional int32 maxFailedIndexes = 13 [(ptr)=true];
  optional meta.v1.LabelSelector selector = 4;
  optional bool manualSelector = 5 [(ptr)=true];
  optional core.v1.PodTemplateSpec template = 6;
  optional int32 ttlSecondsAfterFinished = 8 [(ptr)=true];
  optional string completionMode = 9 [(ptr)=true];
  optional bool suspend = 10 [(ptr)=true];
  optional string podReplacementPolicy = 14 [(ptr)=true];
  optional string managedBy = 15 [(ptr)=true];
}
message PodFailurePolicy { repeated PodFailurePolicyRule rules = 1 [(always)=true]; }
message PodFailurePolicyRule {
  optional string action = 1 [(always)=true];
  optional PodFailurePolicyOnExitCodesRequirement onExitCodes = 2;
  repeated PodFailurePolicyOnPodConditionsPattern onPodConditions = 3;
}
message PodFailurePolicyOnExitCodesRequirement {
  optional string containerName = 1 [(ptr)=true];
  optional string operator = 2 [(always)=true];
  repeated int32 values = 3 [(always)=true];
}
message PodFailurePolicyOnPodConditionsPattern {
  optional string type = 1 [(always)=true];
  optional string status = 2 [(always)=true];
}
message SuccessPolicy { repeated SuccessPolicyRule rules = 1 [(always)=true]; }
message SuccessPolicyRule {
  optional string succeededIndexes = 1 [(ptr)=true];
  optional int32 succeededCount = 2 [(ptr)=true];
}
message JobStatus {
  repeated JobCondition conditions = 1;
  optional meta.v1.Time startTime = 2;
  optional meta.v1.Time completionTime = 3;
  optional int32 active = 4;
  optional int32 succeeded = 5;
  optional int32 failed = 6;
  optional int32 terminating = 11 [(ptr)=true];
  optional string completedIndexes = 7;
  optional string failedIndexes = 10 [(ptr)=true];
  optional UncountedTerminatedPods uncountedTerminatedPods = 8;
  optional int32 ready = 9 [(ptr)=true];
}
message JobCondition {
  optional string type = 1 [(always)=true];
  optional string status = 2 [(always)=true];
  optional meta.v1.Time lastProbeTime = 3;
  optional meta.v1.Time lastTransitionTime = 4;
  optional string reason = 5;
  optional string message = 6;
}
message UncountedTerminatedPods {
  repeated string succeeded = 1;
  repeated string failed = 2;
}

message CronJob {
  optional meta.v1.ObjectMeta metadata = 1;
  optional CronJobSpec spec = 2;
  optional CronJobStatus status = 3;
}
message CronJobSpec {
  optional string schedule = 1 [(always)=true];
  optional string timeZone = 8 [(ptr)=true];
  optional int64 startingDeadlineSeconds = 2 [(ptr)=true];
  optional string concurrencyPolicy = 3;
  optional bool suspend = 4 [(ptr)=true];
  optional JobTemplateSpec jobTemplate = 5;
  optional int32 successfulJobsHistoryLimit = 6 [(ptr)=true];
  optional int32 failedJobsHistoryLimit = 7 [(ptr)=true];
}
message CronJobStatus {
  repeated core.v1.ObjectReference active = 1;
  optional meta.v1.Time lastScheduleTime = 4;
  optional meta.v1.Time lastSuccessfulTime = 5;
}
message JobTemplateSpec {
  optional meta.v1.ObjectMeta metadata = 1;
  optional JobSpec spec = 2;
}
`;
