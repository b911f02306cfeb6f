// PodTopologySpread: keeps matching pods evenly spread over topology domains. DoNotSchedule
// constraints filter (skew = pods in this domain + the pod − the emptiest domain ≤ maxSkew);
// ScheduleAnyway constraints, and the cluster default constraints for pods owned by a
// Service/ReplicaSet/StatefulSet, score.
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromSpec, type LabelSelector } from '../../api/selectors.js';
import type { SchedulerCache } from '../cache.js';
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { MAX_NODE_SCORE, Status, type Plugin } from '../types.js';
import { requiredNodeAffinityMatches } from './node-affinity.js';

const MISMATCH = "node(s) didn't match pod topology spread constraints";
const MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
const HOSTNAME = 'kubernetes.io/hostname';

export const SYSTEM_DEFAULT_CONSTRAINTS: TopologySpreadConstraint[] = [
  { maxSkew: 3, topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
];

export interface SpreadArgs {
  defaultConstraints?: TopologySpreadConstraint[];
  defaultingType?: 'System' | 'List';
}

interface Constraint {
  maxSkew: number;
  key: string;
  selector: LabelSelector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

/** Selector of the Services and controllers that own/select the pod (for default constraints). */
export type DefaultSelector = (pod: PodInfo) => LabelSelector | undefined;

function build(pod: PodInfo, list: TopologySpreadConstraint[], selectorFor: (c: TopologySpreadConstraint) => LabelSelector | undefined): Constraint[] {
  const out: Constraint[] = [];
  for (const c of list) {
    let selector = selectorFor(c);
    if (!selector) continue;
    if (c.matchLabelKeys?.length) {
      const extra = Object.fromEntries(c.matchLabelKeys.filter((k) => k in pod.labels).map((k) => [k, pod.labels[k]!]));
      const spec = { ...(c.labelSelector ?? {}), matchLabels: { ...(c.labelSelector?.matchLabels ?? {}), ...extra } };
      selector = labelSelectorFromSpec(spec as never);
    }
    out.push({
      maxSkew: c.maxSkew,
      key: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  return out;
}

function countMatching(n: NodeInfo, pod: PodInfo, sel: LabelSelector): number {
  let c = 0;
  for (const p of n.pods.values()) if (p.namespace === pod.namespace && !p.pod.metadata?.deletionTimestamp && sel.matches(p.labels)) c++;
  return c;
}

function eligible(n: NodeInfo, pod: PodInfo, cs: Constraint[]): boolean {
  for (const c of cs) if (n.labels[c.key] === undefined) return false;
  if (cs.some((c) => c.honorAffinity) && !requiredNodeAffinityMatches(pod.pod, n)) return false;
  if (
    cs.some((c) => c.honorTaints) &&
    n.taints.some(
      (t) =>
        (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
        !pod.tolerations.some((tl) => (!tl.key || tl.key === t.key) && (tl.operator === 'Exists' || tl.value === t.value)),
    )
  )
    return false;
  return true;
}

class FilterState {
  /** Per constraint: the minimum over its domains, computed when first needed. */
  private mins: (number | undefined)[];
  constructor(
    readonly cs: Constraint[],
    /** Per constraint: domain value → matching pods. */
    readonly counts: Map<string, number>[],
    /** Per constraint: 1 when the incoming pod matches its own selector. */
    readonly self: number[],
  ) {
    this.mins = cs.map(() => undefined);
  }
  clone(): FilterState {
    return new FilterState(
      this.cs,
      this.counts.map((m) => new Map(m)),
      this.self,
    );
  }
  bump(i: number, v: string, d: number): void {
    const m = this.counts[i]!;
    m.set(v, (m.get(v) ?? 0) + d);
    this.mins[i] = undefined;
  }
  min(i: number): number {
    const cached = this.mins[i];
    if (cached !== undefined) return cached;
    const m = this.counts[i]!;
    let min: number;
    if (m.size < this.cs[i]!.minDomains) min = 0;
    else {
      min = Infinity;
      for (const v of m.values()) if (v < min) min = v;
      if (min === Infinity) min = 0;
    }
    this.mins[i] = min;
    return min;
  }
}

const FILTER = 'PodTopologySpread/filter';
const SCORE = 'PodTopologySpread/score';

export function podTopologySpread(cache: SchedulerCache, defaultSelector: DefaultSelector, args: SpreadArgs = {}): Plugin {
  const defaults = args.defaultingType === 'List' ? (args.defaultConstraints ?? []) : SYSTEM_DEFAULT_CONSTRAINTS;

  function constraints(pod: PodInfo, mode: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    const own = pod.pod.spec?.topologySpreadConstraints;
    if (own?.length)
      return build(
        pod,
        own.filter((c) => c.whenUnsatisfiable === mode),
        (c) => labelSelectorFromSpec(c.labelSelector as never),
      );
    const listed = defaults.filter((c) => c.whenUnsatisfiable === mode);
    if (!listed.length) return [];
    const sel = defaultSelector(pod);
    return sel ? build(pod, listed, () => sel) : [];
  }

  return {
    name: 'PodTopologySpread',
    events: ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeUpdate'],
    preFilter(state, pod, nodes) {
      const cs = constraints(pod, 'DoNotSchedule');
      if (!cs.length) return Status.skip;
      const counts = cs.map(() => new Map<string, number>());
      // The cache's own nodes are counted from its per-node match counts; other node
      // lists (what-if copies) pod by pod.
      const perNode = nodes === cache.nodeList() ? cs.map((c) => cache.index.nodeCounts(pod.namespace, c.selector)) : undefined;
      for (const n of nodes) {
        if (!eligible(n, pod, cs)) continue;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!;
          const v = n.labels[c.key]!;
          const m = counts[i]!;
          m.set(v, (m.get(v) ?? 0) + (perNode ? (perNode[i]!.get(n.name) ?? 0) : countMatching(n, pod, c.selector)));
        }
      }
      state.write(
        FILTER,
        new FilterState(
          cs,
          counts,
          cs.map((c) => (c.selector.matches(pod.labels) ? 1 : 0)),
        ),
      );
      return undefined;
    },
    addPod(state, pod, added, node) {
      const st = state.read<FilterState>(FILTER);
      if (!st || added.namespace !== pod.namespace || !eligible(node, pod, st.cs)) return;
      st.cs.forEach((c, i) => {
        if (c.selector.matches(added.labels)) st.bump(i, node.labels[c.key]!, 1);
      });
    },
    removePod(state, pod, removed, node) {
      const st = state.read<FilterState>(FILTER);
      if (!st || removed.namespace !== pod.namespace || !eligible(node, pod, st.cs)) return;
      st.cs.forEach((c, i) => {
        if (c.selector.matches(removed.labels)) st.bump(i, node.labels[c.key]!, -1);
      });
    },
    filter(state, _pod, node) {
      const st = state.read<FilterState>(FILTER);
      if (!st) return undefined;
      for (let i = 0; i < st.cs.length; i++) {
        const c = st.cs[i]!;
        const v = node.labels[c.key];
        if (v === undefined) return Status.unresolvable(MISSING_LABEL);
        const skew = (st.counts[i]!.get(v) ?? 0) + st.self[i]! - st.min(i);
        if (skew > c.maxSkew) return Status.unschedulable(MISMATCH);
      }
      return undefined;
    },
    preScore(state, pod, nodes) {
      const cs = constraints(pod, 'ScheduleAnyway');
      if (!cs.length) return Status.skip;
      const counts = cs.map(() => new Map<string, number>());
      const domains = cs.map(() => new Set<string>());
      for (const n of nodes)
        if (eligible(n, pod, cs))
          cs.forEach((c, i) => {
            domains[i]!.add(n.labels[c.key]!);
          });
      const perNode = cs.map((c) => (c.key === HOSTNAME ? undefined : cache.index.nodeCounts(pod.namespace, c.selector)));
      for (const n of cache.nodeList()) {
        if (!eligible(n, pod, cs)) continue;
        cs.forEach((c, i) => {
          if (c.key === HOSTNAME) return;
          const v = n.labels[c.key]!;
          if (!domains[i]!.has(v)) return;
          counts[i]!.set(v, (counts[i]!.get(v) ?? 0) + (perNode[i]!.get(n.name) ?? 0));
        });
      }
      const weights = domains.map((d) => Math.log(d.size + 2));
      state.write(SCORE, { cs, counts, weights });
      return undefined;
    },
    score(state, pod, node) {
      const st = state.read<{ cs: Constraint[]; counts: Map<string, number>[]; weights: number[] }>(SCORE);
      if (!st) return 0;
      if (!eligible(node, pod, st.cs)) return -1;
      let s = 0;
      st.cs.forEach((c, i) => {
        const cnt = c.key === HOSTNAME ? countMatching(node, pod, c.selector) : (st.counts[i]!.get(node.labels[c.key]!) ?? 0);
        s += cnt * st.weights[i]! + (c.maxSkew - 1);
      });
      return Math.round(s);
    },
    normalizeScore(_s, _p, _n, scores) {
      let min = Infinity;
      let max = 0;
      for (const s of scores) {
        if (s < 0) continue;
        if (s < min) min = s;
        if (s > max) max = s;
      }
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i]!;
        if (s < 0) scores[i] = 0;
        else if (max === 0) scores[i] = MAX_NODE_SCORE;
        else scores[i] = Math.floor((MAX_NODE_SCORE * (max + min - s)) / max);
      }
    },
  };
}
