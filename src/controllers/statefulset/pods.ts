// The identity a StatefulSet gives each pod: its name <set>-<ordinal>, hostname, labels,
// and one PersistentVolumeClaim per volumeClaimTemplate named <template>-<set>-<ordinal>.
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { controllerRefFor } from '../lib/controller-ref.js';
import { podFromTemplate } from '../lib/pod-control.js';

const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export function ordinalOf(set: StatefulSet, pod: Pod): number {
  const prefix = `${set.metadata!.name}-`;
  const name = pod.metadata?.name ?? '';
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : -1;
}

export function claimName(template: string, set: StatefulSet, ordinal: number): string {
  return `${template}-${set.metadata!.name}-${ordinal}`;
}

export function templateOf(rev: ControllerRevision | undefined, set: StatefulSet): PodTemplateSpec {
  const t = (rev?.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template;
  if (!t) return set.spec!.template;
  const { $patch: _p, ...rest } = t;
  return rest;
}

export function buildSetPod(set: StatefulSet, ordinal: number, template: PodTemplateSpec, hash: string): Pod {
  const pod = podFromTemplate(template, set, controllerRefFor(set, 'apps/v1', 'StatefulSet'));
  const name = `${set.metadata!.name}-${ordinal}`;
  const meta = pod.metadata!;
  // A fixed name, not a generated one.
  delete meta.generateName;
  meta.name = name;
  meta.labels = { ...meta.labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), 'controller-revision-hash': hash };
  const spec = pod.spec!;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  const volumes = (spec.volumes ?? []).filter((v) => !(set.spec?.volumeClaimTemplates ?? []).some((t) => t.metadata?.name === v.name));
  for (const t of set.spec?.volumeClaimTemplates ?? [])
    volumes.push({ name: t.metadata!.name!, persistentVolumeClaim: { claimName: claimName(t.metadata!.name!, set, ordinal) } });
  if (volumes.length) spec.volumes = volumes;
  return pod;
}

export function buildClaims(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const whenDeleted = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain';
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: claimName(t.metadata!.name!, set, ordinal),
      namespace: set.metadata!.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      // whenDeleted: Delete hands the claim to the garbage collector along with the set.
      ...(whenDeleted === 'Delete' ? { ownerReferences: [{ ...controllerRefFor(set, 'apps/v1', 'StatefulSet'), controller: true }] } : {}),
    },
    spec: structuredClone(t.spec ?? {}),
  }));
}
