// apps/v1 and batch/v1 kinds.
import './core-pod.js';
import { arr, bool, conditions, core, i64, int, ios, kindWithList, ref, selector, str, time, type } from './dsl.js';

const APPS = 'io.k8s.api.apps.v1.';
const BATCH = 'io.k8s.api.batch.v1.';
const apps = (kind: string) => ({ group: 'apps', version: 'v1', kind });
const batch = (kind: string) => ({ group: 'batch', version: 'v1', kind });
const condition = (name: string, what: string, updated = false) =>
  type(
    name,
    `One aspect of the state of a ${what}.`,
    {
      type: str('Type of the condition.'),
      status: str('True, False or Unknown.'),
      ...(updated ? { lastUpdateTime: time('When last updated.') } : {}),
      lastTransitionTime: time('When status last changed.'),
      reason: str('Reason for the last transition.'),
      message: str('Human-readable details.'),
    },
    { required: ['type', 'status'] },
  );
const template = () => core('PodTemplateSpec', 'The pods to create.');
const podSelector = () => selector('Labels of the pods it manages; must match the template labels.');

type(`${APPS}RollingUpdateDeployment`, 'How fast a rolling update goes.', {
  maxUnavailable: ios('Most pods that may be unavailable during the update: a number or a percentage; 25% by default.'),
  maxSurge: ios('Most pods above the desired count during the update: a number or a percentage; 25% by default.'),
});
type(`${APPS}DeploymentStrategy`, 'How old pods are replaced by new ones.', {
  type: { ...str('Recreate or RollingUpdate; RollingUpdate by default.'), enum: ['Recreate', 'RollingUpdate'] },
  rollingUpdate: ref(`${APPS}RollingUpdateDeployment`, 'Parameters for RollingUpdate.'),
});
type(
  `${APPS}DeploymentSpec`,
  'Desired state of a Deployment.',
  {
    replicas: int('Desired number of pods; 1 by default.'),
    selector: podSelector(),
    template: template(),
    strategy: { ...ref(`${APPS}DeploymentStrategy`, 'How to replace old pods.'), 'x-kubernetes-patch-strategy': 'retainKeys' },
    minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
    revisionHistoryLimit: int('Old ReplicaSets to keep for rollback; 10 by default.'),
    paused: bool('Stop rolling out changes.'),
    progressDeadlineSeconds: int('Seconds without progress before the rollout is reported failed; 600 by default.'),
  },
  { required: ['selector', 'template'] },
);
condition(`${APPS}DeploymentCondition`, 'Deployment', true);
type(`${APPS}DeploymentStatus`, 'Observed state of a Deployment.', {
  observedGeneration: i64('Generation last acted on.'),
  replicas: int('Pods targeted by the Deployment.'),
  updatedReplicas: int('Pods with the current template.'),
  readyReplicas: int('Ready pods.'),
  availableReplicas: int('Pods available for minReadySeconds.'),
  unavailableReplicas: int('Pods still missing.'),
  conditions: conditions(`${APPS}DeploymentCondition`),
  collisionCount: int('Counts hash collisions of pod-template-hash.'),
});
kindWithList(`${APPS}Deployment`, apps('Deployment'), 'Declarative updates for pods through ReplicaSets.', {
  spec: ref(`${APPS}DeploymentSpec`, 'Desired state.'),
  status: ref(`${APPS}DeploymentStatus`, 'Observed state.'),
});

type(
  `${APPS}ReplicaSetSpec`,
  'Desired state of a ReplicaSet.',
  {
    replicas: int('Desired number of pods; 1 by default.'),
    minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
    selector: podSelector(),
    template: template(),
  },
  { required: ['selector'] },
);
condition(`${APPS}ReplicaSetCondition`, 'ReplicaSet');
type(
  `${APPS}ReplicaSetStatus`,
  'Observed state of a ReplicaSet.',
  {
    replicas: int('Pods present.'),
    fullyLabeledReplicas: int('Pods whose labels match the template.'),
    readyReplicas: int('Ready pods.'),
    availableReplicas: int('Available pods.'),
    observedGeneration: i64('Generation last acted on.'),
    conditions: conditions(`${APPS}ReplicaSetCondition`),
  },
  { required: ['replicas'] },
);
kindWithList(`${APPS}ReplicaSet`, apps('ReplicaSet'), 'Keeps a number of identical pods running.', {
  spec: ref(`${APPS}ReplicaSetSpec`, 'Desired state.'),
  status: ref(`${APPS}ReplicaSetStatus`, 'Observed state.'),
});

type(`${APPS}RollingUpdateStatefulSetStrategy`, 'Rolling update parameters of a StatefulSet.', {
  partition: int('Only pods with an ordinal at or above this are updated.'),
  maxUnavailable: ios('Most pods unavailable during the update.'),
});
type(`${APPS}StatefulSetUpdateStrategy`, 'How pods of a StatefulSet are updated.', {
  type: str('RollingUpdate or OnDelete; RollingUpdate by default.'),
  rollingUpdate: ref(`${APPS}RollingUpdateStatefulSetStrategy`, 'Parameters for RollingUpdate.'),
});
type(`${APPS}StatefulSetPersistentVolumeClaimRetentionPolicy`, 'What happens to claims from volumeClaimTemplates.', {
  whenDeleted: str('Retain or Delete, when the StatefulSet is deleted.'),
  whenScaled: str('Retain or Delete, when it is scaled down.'),
});
type(`${APPS}StatefulSetOrdinals`, 'Numbering of replicas.', { start: int('First ordinal; 0 by default.') });
type(
  `${APPS}StatefulSetSpec`,
  'Desired state of a StatefulSet.',
  {
    replicas: int('Desired number of pods; 1 by default.'),
    selector: podSelector(),
    template: template(),
    volumeClaimTemplates: arr(core('PersistentVolumeClaim'), 'Claims created for each pod.'),
    serviceName: str('Headless Service that gives the pods their DNS names.'),
    podManagementPolicy: str('OrderedReady or Parallel.'),
    updateStrategy: ref(`${APPS}StatefulSetUpdateStrategy`, 'How pods are updated.'),
    revisionHistoryLimit: int('Revisions to keep; 10 by default.'),
    minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
    persistentVolumeClaimRetentionPolicy: ref(`${APPS}StatefulSetPersistentVolumeClaimRetentionPolicy`, 'Lifecycle of the claims.'),
    ordinals: ref(`${APPS}StatefulSetOrdinals`, 'Numbering of replicas.'),
  },
  { required: ['selector', 'template'] },
);
condition(`${APPS}StatefulSetCondition`, 'StatefulSet');
type(
  `${APPS}StatefulSetStatus`,
  'Observed state of a StatefulSet.',
  {
    observedGeneration: i64('Generation last acted on.'),
    replicas: int('Pods present.'),
    readyReplicas: int('Ready pods.'),
    currentReplicas: int('Pods at currentRevision.'),
    updatedReplicas: int('Pods at updateRevision.'),
    currentRevision: str('Revision of the older pods.'),
    updateRevision: str('Revision of the newest pods.'),
    collisionCount: int('Hash collisions.'),
    conditions: conditions(`${APPS}StatefulSetCondition`),
    availableReplicas: int('Available pods.'),
  },
  { required: ['replicas'] },
);
kindWithList(`${APPS}StatefulSet`, apps('StatefulSet'), 'Pods with stable names and storage, started and updated in order.', {
  spec: ref(`${APPS}StatefulSetSpec`, 'Desired state.'),
  status: ref(`${APPS}StatefulSetStatus`, 'Observed state.'),
});

type(`${APPS}RollingUpdateDaemonSet`, 'Rolling update parameters of a DaemonSet.', {
  maxUnavailable: ios('Most nodes without an available pod during the update.'),
  maxSurge: ios('Most nodes with an extra pod during the update.'),
});
type(`${APPS}DaemonSetUpdateStrategy`, 'How pods of a DaemonSet are updated.', {
  type: str('RollingUpdate or OnDelete.'),
  rollingUpdate: ref(`${APPS}RollingUpdateDaemonSet`, 'Parameters for RollingUpdate.'),
});
type(
  `${APPS}DaemonSetSpec`,
  'Desired state of a DaemonSet.',
  {
    selector: podSelector(),
    template: template(),
    updateStrategy: ref(`${APPS}DaemonSetUpdateStrategy`, 'How pods are updated.'),
    minReadySeconds: int('Seconds a new pod must be ready to count as available.'),
    revisionHistoryLimit: int('Revisions to keep; 10 by default.'),
  },
  { required: ['selector', 'template'] },
);
condition(`${APPS}DaemonSetCondition`, 'DaemonSet');
type(
  `${APPS}DaemonSetStatus`,
  'Observed state of a DaemonSet.',
  {
    currentNumberScheduled: int('Nodes running a pod that should.'),
    numberMisscheduled: int('Nodes running a pod that should not.'),
    desiredNumberScheduled: int('Nodes that should run a pod.'),
    numberReady: int('Nodes with a ready pod.'),
    observedGeneration: i64('Generation last acted on.'),
    updatedNumberScheduled: int('Nodes running the current template.'),
    numberAvailable: int('Nodes with an available pod.'),
    numberUnavailable: int('Nodes without an available pod.'),
    collisionCount: int('Hash collisions.'),
    conditions: conditions(`${APPS}DaemonSetCondition`),
  },
  { required: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] },
);
kindWithList(`${APPS}DaemonSet`, apps('DaemonSet'), 'Runs one pod on each (selected) node.', {
  spec: ref(`${APPS}DaemonSetSpec`, 'Desired state.'),
  status: ref(`${APPS}DaemonSetStatus`, 'Observed state.'),
});
kindWithList(
  `${APPS}ControllerRevision`,
  apps('ControllerRevision'),
  'An immutable snapshot of state, kept for rollback by StatefulSets and DaemonSets.',
  {
    data: ref('io.k8s.apimachinery.pkg.runtime.RawExtension', 'The serialized state.'),
    revision: i64('Revision number.'),
  },
  ['revision'],
);

type(
  `${BATCH}PodFailurePolicyOnExitCodesRequirement`,
  'Matches exit codes of failed containers.',
  {
    containerName: str('Only this container; all by default.'),
    operator: str('In or NotIn.'),
    values: { type: 'array', items: int(), description: 'Exit codes.', 'x-kubernetes-list-type': 'set' },
  },
  { required: ['operator', 'values'] },
);
type(
  `${BATCH}PodFailurePolicyOnPodConditionsPattern`,
  'Matches a condition of a failed pod.',
  { type: str('Condition type.'), status: str('Condition status.') },
  { required: ['type'] },
);
type(
  `${BATCH}PodFailurePolicyRule`,
  'An action for matching pod failures.',
  {
    action: str('FailJob, FailIndex, Ignore or Count.'),
    onExitCodes: ref(`${BATCH}PodFailurePolicyOnExitCodesRequirement`, 'Match by exit codes.'),
    onPodConditions: arr(ref(`${BATCH}PodFailurePolicyOnPodConditionsPattern`), 'Match by pod conditions.'),
  },
  { required: ['action'] },
);
type(
  `${BATCH}PodFailurePolicy`,
  'How pod failures count.',
  { rules: arr(ref(`${BATCH}PodFailurePolicyRule`), 'Rules, first match wins.') },
  { required: ['rules'] },
);
type(`${BATCH}SuccessPolicyRule`, 'When an indexed Job succeeds early.', {
  succeededIndexes: str('Indexes that must succeed.'),
  succeededCount: int('How many must succeed.'),
});
type(
  `${BATCH}SuccessPolicy`,
  'When the Job counts as succeeded.',
  { rules: arr(ref(`${BATCH}SuccessPolicyRule`), 'Rules, any may match.') },
  { required: ['rules'] },
);
type(
  `${BATCH}JobSpec`,
  'Desired state of a Job.',
  {
    parallelism: int('Most pods running at once; 1 by default.'),
    completions: int('Successful pods needed; 1 by default.'),
    activeDeadlineSeconds: i64('Seconds the Job may run before it fails.'),
    podFailurePolicy: ref(`${BATCH}PodFailurePolicy`, 'How failures count.'),
    successPolicy: ref(`${BATCH}SuccessPolicy`, 'When the Job succeeds.'),
    backoffLimit: int('Retries before the Job fails; 6 by default.'),
    backoffLimitPerIndex: int('Retries per index, for Indexed Jobs.'),
    maxFailedIndexes: int('Failed indexes before the Job fails.'),
    selector: selector('Labels of the pods; generated by default.'),
    manualSelector: bool('Use the given selector as is.'),
    template: template(),
    ttlSecondsAfterFinished: int('Seconds after finishing before the Job is deleted.'),
    completionMode: str('NonIndexed or Indexed.'),
    suspend: bool('Create no pods while true.'),
    podReplacementPolicy: str('TerminatingOrFailed or Failed.'),
    managedBy: str('Controller that manages the Job.'),
  },
  { required: ['template'] },
);
type(
  `${BATCH}JobCondition`,
  'One aspect of the state of a Job.',
  {
    type: str('Complete, Failed, Suspended, …'),
    status: str('True, False or Unknown.'),
    lastProbeTime: time('When last checked.'),
    lastTransitionTime: time('When status last changed.'),
    reason: str('Reason.'),
    message: str('Details.'),
  },
  { required: ['type', 'status'] },
);
type(`${BATCH}UncountedTerminatedPods`, 'Finished pods not yet counted.', {
  succeeded: { type: 'array', items: str(), 'x-kubernetes-list-type': 'set', description: 'UIDs of succeeded pods.' },
  failed: { type: 'array', items: str(), 'x-kubernetes-list-type': 'set', description: 'UIDs of failed pods.' },
});
type(`${BATCH}JobStatus`, 'Observed state of a Job.', {
  conditions: { ...arr(ref(`${BATCH}JobCondition`), 'Conditions.'), 'x-kubernetes-patch-merge-key': 'type', 'x-kubernetes-patch-strategy': 'merge' },
  startTime: time('When the Job started.'),
  completionTime: time('When the Job completed.'),
  active: int('Running pods.'),
  succeeded: int('Succeeded pods.'),
  failed: int('Failed pods.'),
  terminating: int('Pods being deleted.'),
  completedIndexes: str('Completed indexes, as ranges.'),
  failedIndexes: str('Failed indexes, as ranges.'),
  uncountedTerminatedPods: ref(`${BATCH}UncountedTerminatedPods`, 'Finished pods not yet counted.'),
  ready: int('Ready pods.'),
});
kindWithList(`${BATCH}Job`, batch('Job'), 'Runs pods until a number of them succeed.', {
  spec: ref(`${BATCH}JobSpec`, 'Desired state.'),
  status: ref(`${BATCH}JobStatus`, 'Observed state.'),
});
type(`${BATCH}JobTemplateSpec`, 'The Jobs a CronJob creates.', {
  metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'Labels and annotations of the Jobs.'),
  spec: ref(`${BATCH}JobSpec`, 'The Job spec.'),
});
type(
  `${BATCH}CronJobSpec`,
  'Desired state of a CronJob.',
  {
    schedule: str('Cron schedule, e.g. */5 * * * *.'),
    timeZone: str("Time zone of the schedule; the controller's by default."),
    startingDeadlineSeconds: i64('Seconds after a missed time a Job may still start.'),
    concurrencyPolicy: str('Allow, Forbid or Replace.'),
    suspend: bool('Start no Jobs while true.'),
    jobTemplate: ref(`${BATCH}JobTemplateSpec`, 'The Jobs to create.'),
    successfulJobsHistoryLimit: int('Succeeded Jobs to keep; 3 by default.'),
    failedJobsHistoryLimit: int('Failed Jobs to keep; 1 by default.'),
  },
  { required: ['schedule', 'jobTemplate'] },
);
type(`${BATCH}CronJobStatus`, 'Observed state of a CronJob.', {
  active: arr(core('ObjectReference'), 'Running Jobs.'),
  lastScheduleTime: time('When a Job was last scheduled.'),
  lastSuccessfulTime: time('When a Job last succeeded.'),
});
kindWithList(`${BATCH}CronJob`, batch('CronJob'), 'Creates Jobs on a schedule.', {
  spec: ref(`${BATCH}CronJobSpec`, 'Desired state.'),
  status: ref(`${BATCH}CronJobStatus`, 'Observed state.'),
});
