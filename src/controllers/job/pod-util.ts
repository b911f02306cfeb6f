// Small pod helpers shared by the Job, CronJob, DaemonSet, StatefulSet and disruption
// controllers: ownership, phase and readiness, and building a pod from a template.
// (lib/pod-control.ts, owned by the ReplicaSet work, may supersede parts of this.)
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../api/types.js';
import { labelSelectorFromSpec, type LabelSelectorSpec } from '../../api/selectors.js';

export function controllerOf(obj: KObject | undefined): OwnerReference | undefined {
  return (obj?.metadata?.ownerReferences as OwnerReference[] | undefined)?.find((r) => r.controller);
}

export function isControlledBy(obj: KObject | undefined, owner: KObject): boolean {
  const ref = controllerOf(obj);
  return !!ref && ref.uid === owner.metadata?.uid;
}

export function ownerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

export function isTerminated(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** Neither finished nor being deleted: counts towards what a controller has running. */
export function isPodActive(pod: Pod): boolean {
  return !isTerminated(pod) && !pod.metadata?.deletionTimestamp;
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready for at least minReadySeconds at `now`. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  const since = c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

export function selectorMatches(sel: LabelSelectorSpec | null | undefined, labels: Record<string, string> | undefined): boolean {
  try {
    return labelSelectorFromSpec(sel).matches(labels ?? {});
  } catch {
    return false;
  }
}

/** A pod built from `template`, owned by `owner`; the caller adds name or generateName. */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: KObject, apiVersion: string, kind: string): Pod {
  const t = structuredClone(template ?? {}) as PodTemplateSpec;
  const meta = t.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: owner.metadata!.namespace,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ownerRef(owner, apiVersion, kind)],
    },
    spec: t.spec ?? { containers: [] },
  };
}

export function podKey(pod: KObject): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}

/** Value of an int-or-percent (maxUnavailable, maxSurge) against `total`, rounding as asked. */
export function intOrPercent(v: number | string | undefined, total: number, roundUp: boolean, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/** Index of objects by the uid of their controlling owner, shared by the workload controllers. */
export const CONTROLLER_UID_INDEX = 'skiff.io/controller-uid';
export const byControllerUID = (obj: unknown): string[] => {
  const ref = controllerOf(obj as KObject);
  return ref?.uid ? [ref.uid] : [];
};
