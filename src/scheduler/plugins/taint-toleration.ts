// TaintToleration: NoSchedule/NoExecute taints keep out pods that do not tolerate them;
// PreferNoSchedule taints only lower the node's score.
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { defaultNormalizeScore, Status, type Plugin } from '../types.js';

/** v1.Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function untoleratedTaint(taints: Taint[], tolerations: Toleration[], effects: (e: string) => boolean): Taint | undefined {
  for (const taint of taints) {
    if (!effects(taint.effect)) continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return taint;
  }
  return undefined;
}

const hard = (e: string) => e === 'NoSchedule' || e === 'NoExecute';

export function taintToleration(): Plugin {
  return {
    name: 'TaintToleration',
    events: ['NodeAdd', 'NodeUpdate'],
    filter(_s, pod, node) {
      if (!node.taints.length) return undefined;
      const t = untoleratedTaint(node.taints, pod.tolerations, hard);
      return t ? Status.unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`) : undefined;
    },
    score(_s, pod, node) {
      let n = 0;
      if (!node.taints.length) return 0;
      const prefer = pod.tolerations.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !prefer.some((t) => tolerates(t, taint))) n++;
      return n;
    },
    normalizeScore(_s, _p, _n, scores) {
      defaultNormalizeScore(scores, true);
    },
  };
}
