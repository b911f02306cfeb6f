// Parses Skiff's hand-written .proto subset once, at module load, and maps
// apiVersion + kind to the message that encodes the object.

import protobuf from 'protobufjs';
import { META_PROTO, RUNTIME_PROTO, INTSTR_PROTO, RESOURCE_PROTO } from './meta.proto.js';
import { CORE_PROTO } from './core.proto.js';
import { CORE_POD_PROTO } from './core-pod.proto.js';
import { CORE_VOLUME_PROTO } from './core-volume.proto.js';
import { APPS_PROTO, BATCH_PROTO } from './workloads.proto.js';
import { CERTIFICATES_PROTO } from './certificates.proto.js';
import { RBAC_PROTO, SCHEDULING_PROTO, POLICY_PROTO, NETWORKING_PROTO } from './access.proto.js';
import { AUTHENTICATION_PROTO } from './authentication.proto.js';
import { AUTOSCALING_V1_PROTO, AUTOSCALING_V2_PROTO } from './autoscaling.proto.js';

/** `${apiVersion}/${kind}` → message name in the schema below. */
export const MESSAGE_FOR_KIND: Readonly<Record<string, string>> = {
  'v1/Namespace': 'core.v1.Namespace',
  'v1/ConfigMap': 'core.v1.ConfigMap',
  'v1/Secret': 'core.v1.Secret',
  'v1/ServiceAccount': 'core.v1.ServiceAccount',
  'v1/Service': 'core.v1.Service',
  'v1/ResourceQuota': 'core.v1.ResourceQuota',
  'apps/v1/Deployment': 'apps.v1.Deployment',
  'batch/v1/Job': 'batch.v1.Job',
  'batch/v1/CronJob': 'batch.v1.CronJob',
  'rbac.authorization.k8s.io/v1/Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
  'scheduling.k8s.io/v1/PriorityClass': 'scheduling.v1.PriorityClass',
  'policy/v1/PodDisruptionBudget': 'policy.v1.PodDisruptionBudget',
  'networking.k8s.io/v1/Ingress': 'networking.v1.Ingress',
  'certificates.k8s.io/v1/CertificateSigningRequest': 'certificates.v1.CertificateSigningRequest',
  'authentication.k8s.io/v1/TokenRequest': 'authentication.v1.TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'authentication.v1.TokenReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'authentication.v1.SelfSubjectReview',
  'autoscaling/v1/HorizontalPodAutoscaler': 'autoscaling.v1.HorizontalPodAutoscaler',
  'autoscaling/v2/HorizontalPodAutoscaler': 'autoscaling.v2.HorizontalPodAutoscaler',
};

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  const files = [
    META_PROTO,
    RUNTIME_PROTO,
    INTSTR_PROTO,
    RESOURCE_PROTO,
    CORE_PROTO,
    CORE_POD_PROTO,
    CORE_VOLUME_PROTO,
    APPS_PROTO,
    BATCH_PROTO,
    RBAC_PROTO,
    SCHEDULING_PROTO,
    POLICY_PROTO,
    NETWORKING_PROTO,
    CERTIFICATES_PROTO,
    AUTHENTICATION_PROTO,
    AUTOSCALING_V1_PROTO,
    AUTOSCALING_V2_PROTO,
  ];
  // keepCase: proto field names are the JSON names; camel-casing would turn
  // FieldsV1's "Raw" and any future snake_case name into something else.
  for (const text of files) protobuf.parse(text, root, { keepCase: true });
  // Fails loudly at load if a message references a type nobody defined.
  root.resolveAll();
  for (const name of Object.values(MESSAGE_FOR_KIND)) root.lookupType(name);
  return root;
}

const root = buildRoot();

export const unknownType: protobuf.Type = root.lookupType('runtime.Unknown');

export function messageTypeFor(apiVersion: string, kind: string): protobuf.Type | undefined {
  const name = MESSAGE_FOR_KIND[`${apiVersion}/${kind}`];
  return name === undefined ? undefined : root.lookupType(name);
}
