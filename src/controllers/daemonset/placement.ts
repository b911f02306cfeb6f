// Which nodes a daemon pod belongs on: nodeSelector, required node affinity and the node's
// taints against the pod's tolerations (with the tolerations every daemon pod gets), and
// the node affinity that pins a daemon pod to its node for the scheduler.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';

/** Kubernetes adds these to every daemon pod so that node problems do not evict it. */
export function daemonTolerations(spec: PodSpec): Toleration[] {
  const out: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) out.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const have = spec.tolerations ?? [];
  return [...have, ...out.filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect && h.operator === t.operator))];
}

function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (!t.key) return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

function requirementMatches(r: NodeSelectorRequirement, get: (k: string) => string | undefined): boolean {
  const v = get(r.key);
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return v !== undefined && vals.includes(v);
    case 'NotIn':
      return v === undefined || !vals.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(vals[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(vals[0]);
    default:
      return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata?.labels ?? {};
  return (
    exprs.every((r) => requirementMatches(r, (k) => labels[k])) &&
    fields.every((r) => requirementMatches(r, (k) => (k === 'metadata.name' ? node.metadata?.name : undefined)))
  );
}

/**
 * Whether a daemon pod of this spec should run on `node`; with `running`, whether one
 * already there may stay (a NoSchedule taint keeps new pods off but evicts nobody).
 */
export function shouldRunOn(spec: PodSpec, node: Node, running = false): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => termMatches(t, node))) return false;
  const tolerations = daemonTolerations(spec);
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoExecute' && (taint.effect !== 'NoSchedule' || running)) continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return false;
  }
  return true;
}

/** The pod spec pinned to `nodeName` by a required matchFields term, as Kubernetes does it. */
export function pinToNode(spec: PodSpec, nodeName: string): void {
  const req: NodeSelectorRequirement = { key: 'metadata.name', operator: 'In', values: [nodeName] };
  const affinity = (spec.affinity ??= {});
  const na = (affinity.nodeAffinity ??= {});
  const required = (na.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] });
  const terms = required.nodeSelectorTerms.length ? required.nodeSelectorTerms : [{}];
  required.nodeSelectorTerms = terms.map((t) => ({ ...t, matchFields: [req] }));
  spec.tolerations = daemonTolerations(spec);
}

/** The node a daemon pod runs on, or is pinned to while unscheduled. */
export function daemonPodNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const t of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  return undefined;
}
