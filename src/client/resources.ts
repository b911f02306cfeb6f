// Descriptions of the built-in resources the cluster's own components use. The type
// parameter is carried only for inference: `client.resource(resources.pods)` is a
// ResourceClient<Pod> without spelling the type twice.
import type { CertificateSigningRequest } from 'kubernetes-types/certificates/v1.js';
import type { KObject } from '../api/types.js';
import type { Deployment, ReplicaSet, StatefulSet, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Job, CronJob } from 'kubernetes-types/batch/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  ReplicationController,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';

export interface ResourceType<T = KObject> {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, as in the URL. */
  resource: string;
  namespaced: boolean;
  /** When known, filled into objects that lack it (list items, bodies sent without it). */
  kind?: string;
  /** Never set; lets TypeScript infer T from a ResourceType value. */
  readonly __type?: T;
}

function rt<T>(group: string, version: string, resource: string, kind: string, namespaced: boolean): ResourceType<T> {
  return Object.freeze({ group, version, resource, kind, namespaced });
}

export const resources = Object.freeze({
  pods: rt<Pod>('', 'v1', 'pods', 'Pod', true),
  nodes: rt<Node>('', 'v1', 'nodes', 'Node', false),
  namespaces: rt<Namespace>('', 'v1', 'namespaces', 'Namespace', false),
  configMaps: rt<ConfigMap>('', 'v1', 'configmaps', 'ConfigMap', true),
  secrets: rt<Secret>('', 'v1', 'secrets', 'Secret', true),
  services: rt<Service>('', 'v1', 'services', 'Service', true),
  endpoints: rt<Endpoints>('', 'v1', 'endpoints', 'Endpoints', true),
  events: rt<Event>('', 'v1', 'events', 'Event', true),
  serviceAccounts: rt<ServiceAccount>('', 'v1', 'serviceaccounts', 'ServiceAccount', true),
  persistentVolumes: rt<PersistentVolume>('', 'v1', 'persistentvolumes', 'PersistentVolume', false),
  persistentVolumeClaims: rt<PersistentVolumeClaim>('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true),
  deployments: rt<Deployment>('apps', 'v1', 'deployments', 'Deployment', true),
  replicaSets: rt<ReplicaSet>('apps', 'v1', 'replicasets', 'ReplicaSet', true),
  replicationControllers: rt<ReplicationController>('', 'v1', 'replicationcontrollers', 'ReplicationController', true),
  statefulSets: rt<StatefulSet>('apps', 'v1', 'statefulsets', 'StatefulSet', true),
  daemonSets: rt<DaemonSet>('apps', 'v1', 'daemonsets', 'DaemonSet', true),
  jobs: rt<Job>('batch', 'v1', 'jobs', 'Job', true),
  cronJobs: rt<CronJob>('batch', 'v1', 'cronjobs', 'CronJob', true),
  leases: rt<Lease>('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  endpointSlices: rt<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  ingresses: rt<Ingress>('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true),
  priorityClasses: rt<PriorityClass>('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false),
  podDisruptionBudgets: rt<PodDisruptionBudget>('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true),
  resourceQuotas: rt<ResourceQuota>('', 'v1', 'resourcequotas', 'ResourceQuota', true),
  controllerRevisions: rt<ControllerRevision>('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  certificateSigningRequests: rt<CertificateSigningRequest>('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false),
  storageClasses: rt<StorageClass>('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false),
  horizontalPodAutoscalers: rt<HorizontalPodAutoscaler>('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true),
});
