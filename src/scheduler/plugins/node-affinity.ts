// NodeAffinity: spec.nodeSelector and required node affinity filter; preferred node
// affinity terms add their weights to the score.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from '../node-info.js';
import { defaultNormalizeScore, Status, type Plugin } from '../types.js';
import { nodeSelectorMatches, termMatches } from './node-selector.js';

const REASON = "node(s) didn't match Pod's node affinity/selector";

/** Whether the node satisfies the pod's nodeSelector and required node affinity. */
export function requiredNodeAffinityMatches(pod: Pod, node: NodeInfo): boolean {
  const sel = pod.spec?.nodeSelector;
  if (sel) for (const k in sel) if (node.labels[k] !== sel[k]) return false;
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !req || nodeSelectorMatches(req, node);
}

export function nodeAffinity(): Plugin {
  return {
    name: 'NodeAffinity',
    events: ['NodeAdd', 'NodeUpdate'],
    preFilter(_s, pod) {
      const spec = pod.pod.spec;
      if (!spec?.nodeSelector && !spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution) return Status.skip;
      // Terms naming nodes by metadata.name narrow the nodes to look at, as Kubernetes does.
      const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
      if (!terms.length) return undefined;
      const names = new Set<string>();
      for (const t of terms) {
        const byName = (t.matchFields ?? []).filter((f) => f.key === 'metadata.name' && f.operator === 'In');
        if (!byName.length) return undefined;
        for (const v of byName[0]!.values ?? []) names.add(v);
      }
      return { nodeNames: names };
    },
    filter(_s, pod, node) {
      return requiredNodeAffinityMatches(pod.pod, node) ? undefined : Status.unresolvable(REASON);
    },
    preScore(_s, pod) {
      return pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? undefined : Status.skip;
    },
    score(_s, pod, node) {
      let sum = 0;
      for (const p of pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [])
        if (p.weight && termMatches(p.preference, node)) sum += p.weight;
      return sum;
    },
    normalizeScore(_s, _p, _n, scores) {
      defaultNormalizeScore(scores, false);
    },
  };
}
