// How the lists and maps of the built-in types merge: Kubernetes' struct tags
// (patchMergeKey / patchStrategy for strategic merge patch, listType / listMapKey for
// server-side apply) as one data table. Strategic merge patch, server-side apply and the
// OpenAPI documents (x-kubernetes-patch-merge-key, x-kubernetes-list-type …) all read it.
//
// The table is a small type graph: a type is a record of the fields that need something
// other than the defaults (maps merge key by key; lists are atomic and replaced whole).
// A field names the type of its value (or of its items), so the same Container or PodSpec
// rules apply wherever those types are embedded.

export interface FieldMeta {
  /** The type of the value, or of the list's items. */
  type?: string;
  /** SSA list semantics; absent: atomic. */
  listType?: 'map' | 'set' | 'atomic';
  /** SSA listMapKeys, when listType is map. */
  keys?: string[];
  /** SMP patchMergeKey (one field), for lists of objects with strategy merge. */
  mergeKey?: string;
  /** SMP patchStrategy: merge for lists that merge, retainKeys for union structs. */
  strategy?: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  /** SSA: the struct is atomic (LabelSelector-like: replaced whole). */
  atomic?: boolean;
}

export type TypeMeta = Readonly<Record<string, FieldMeta>>;

const byName = (type?: string): FieldMeta => ({ type, listType: 'map', keys: ['name'], mergeKey: 'name', strategy: 'merge' });
const byKey = (key: string, type?: string, strategy: FieldMeta['strategy'] = 'merge'): FieldMeta => ({
  type,
  listType: 'map',
  keys: [key],
  mergeKey: key,
  strategy,
});
const conditions: FieldMeta = byKey('type');
const set: FieldMeta = { listType: 'set', strategy: 'merge' };
const atomicStruct: FieldMeta = { atomic: true };

/** Default values of list-map key fields: SSA uses them when an item omits the key. */
export const KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

export const TYPES: Readonly<Record<string, TypeMeta>> = {
  ObjectMeta: {
    finalizers: set,
    ownerReferences: byKey('uid'),
    managedFields: { listType: 'atomic' },
  },
  PodTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'PodSpec' } },
  PodSpec: {
    volumes: { ...byName('Volume'), strategy: 'merge,retainKeys' },
    initContainers: byName('Container'),
    containers: byName('Container'),
    ephemeralContainers: byName('Container'),
    imagePullSecrets: byName(),
    hostAliases: byKey('ip'),
    topologySpreadConstraints: { listType: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey', strategy: 'merge' },
    resourceClaims: { ...byName(), strategy: 'merge,retainKeys' },
    schedulingGates: byName(),
    tolerations: { listType: 'atomic' },
    readinessGates: { listType: 'atomic' },
    affinity: { type: 'Affinity' },
  },
  Affinity: {},
  Volume: {},
  Container: {
    ports: { listType: 'map', keys: ['containerPort', 'protocol'], mergeKey: 'containerPort', strategy: 'merge' },
    env: byName(),
    volumeMounts: byKey('mountPath'),
    volumeDevices: byKey('devicePath'),
    resources: { type: 'ResourceRequirements' },
  },
  ResourceRequirements: { claims: byName() },
  PodStatus: {
    conditions,
    podIPs: byKey('ip'),
    hostIPs: byKey('ip'),
    resourceClaimStatuses: { ...byName(), strategy: 'merge,retainKeys' },
  },
  Pod: { spec: { type: 'PodSpec' }, status: { type: 'PodStatus' } },
  PodTemplate: { template: { type: 'PodTemplateSpec' } },
  LabelSelectorHolder: { selector: atomicStruct },
  ReplicationController: { spec: { type: 'ReplicationControllerSpec' }, status: { type: 'WithConditions' } },
  ReplicationControllerSpec: { template: { type: 'PodTemplateSpec' } },
  WithConditions: { conditions },
  Service: { spec: { type: 'ServiceSpec' }, status: { type: 'WithConditions' } },
  ServiceSpec: { ports: { listType: 'map', keys: ['port', 'protocol'], mergeKey: 'port', strategy: 'merge' } },
  Node: { spec: { type: 'NodeSpec' }, status: { type: 'NodeStatus' } },
  NodeSpec: { podCIDRs: set, taints: { listType: 'atomic' } },
  NodeStatus: { conditions, addresses: byKey('type') },
  Namespace: { status: { type: 'WithConditions' } },
  PersistentVolumeClaim: { status: { type: 'WithConditions' } },
  ServiceAccount: { secrets: byName() },
  Deployment: { spec: { type: 'DeploymentSpec' }, status: { type: 'WithConditions' } },
  DeploymentSpec: { template: { type: 'PodTemplateSpec' }, selector: atomicStruct, strategy: { strategy: 'retainKeys' } },
  ReplicaSet: { spec: { type: 'WorkloadSpec' }, status: { type: 'WithConditions' } },
  DaemonSet: { spec: { type: 'WorkloadSpec' }, status: { type: 'WithConditions' } },
  StatefulSet: { spec: { type: 'WorkloadSpec' }, status: { type: 'WithConditions' } },
  WorkloadSpec: { template: { type: 'PodTemplateSpec' }, selector: atomicStruct },
  Job: { spec: { type: 'WorkloadSpec' }, status: { type: 'JobStatus' } },
  JobStatus: { conditions: { ...conditions, listType: 'atomic' } },
  CronJob: { spec: { type: 'CronJobSpec' } },
  CronJobSpec: { jobTemplate: { type: 'JobTemplateSpec' } },
  JobTemplateSpec: { metadata: { type: 'ObjectMeta' }, spec: { type: 'WorkloadSpec' } },
  HorizontalPodAutoscaler: { status: { type: 'WithConditions' } },
  PodDisruptionBudget: { spec: { type: 'LabelSelectorHolder' }, status: { type: 'WithConditions' } },
  NetworkPolicy: {},
};

/** The root type of an object by group and kind (every root also has metadata: ObjectMeta). */
const ROOTS: Readonly<Record<string, string>> = {
  '/Pod': 'Pod',
  '/PodTemplate': 'PodTemplate',
  '/ReplicationController': 'ReplicationController',
  '/Service': 'Service',
  '/Node': 'Node',
  '/Namespace': 'Namespace',
  '/PersistentVolumeClaim': 'PersistentVolumeClaim',
  '/ServiceAccount': 'ServiceAccount',
  'apps/Deployment': 'Deployment',
  'apps/ReplicaSet': 'ReplicaSet',
  'apps/DaemonSet': 'DaemonSet',
  'apps/StatefulSet': 'StatefulSet',
  'batch/Job': 'Job',
  'batch/CronJob': 'CronJob',
  'autoscaling/HorizontalPodAutoscaler': 'HorizontalPodAutoscaler',
  'policy/PodDisruptionBudget': 'PodDisruptionBudget',
};

const rootCache = new Map<string, TypeMeta>();

/** The type description of an object's top level; kinds not in the table get metadata rules only. */
export function rootType(group: string, kind: string): TypeMeta {
  const k = `${group}/${kind}`;
  let t = rootCache.get(k);
  if (!t) {
    const name = ROOTS[k];
    t = { metadata: { type: 'ObjectMeta' }, ...(name ? TYPES[name] : {}) };
    rootCache.set(k, t);
  }
  return t;
}

const EMPTY: TypeMeta = Object.freeze({});

/** The type of a field's value (or of its list items). */
export function fieldType(meta: FieldMeta | undefined): TypeMeta {
  return (meta?.type && TYPES[meta.type]) || EMPTY;
}
