// InterPodAffinity: required pod affinity and anti-affinity (the incoming pod's, and
// existing pods' anti-affinity towards it) filter; preferred terms, both ways, score.
// Counts are per topology domain ("key=value"), computed once per cycle in PreFilter.
import type { SchedulerCache } from '../cache.js';
import type { NodeInfo } from '../node-info.js';
import type { AffinityTerm, NamespaceLabels, PodInfo } from '../pod-info.js';
import { MAX_NODE_SCORE, Status, type Plugin } from '../types.js';

const EXISTING_ANTI = "node(s) didn't satisfy existing pods anti-affinity rules";
const AFFINITY = "node(s) didn't match pod affinity rules";
const ANTI = "node(s) didn't match pod anti-affinity rules";

const STATE = 'InterPodAffinity/filter';
const SCORE_STATE = 'InterPodAffinity/score';

type Counts = Map<string, number>;
const bump = (m: Counts, k: string, d: number) => m.set(k, (m.get(k) ?? 0) + d);
/** Topology key → topology value → count. */
type KeyedCounts = Map<string, Counts>;
function bumpKeyed(m: KeyedCounts, key: string, value: string, d: number): void {
  let c = m.get(key);
  if (!c) m.set(key, (c = new Map()));
  bump(c, value, d);
}
const cloneKeyed = (m: KeyedCounts): KeyedCounts => new Map([...m].map(([k, c]) => [k, new Map(c)]));

class FilterState {
  /** Existing pods' required anti-affinity terms that match the pod, per topology key and value. */
  existingAnti: KeyedCounts = new Map();
  /** One map per required affinity term. */
  affinity: Counts[] = [];
  anti: Counts[] = [];
  clone(): FilterState {
    const c = new FilterState();
    c.existingAnti = cloneKeyed(this.existingAnti);
    c.affinity = this.affinity.map((m) => new Map(m));
    c.anti = this.anti.map((m) => new Map(m));
    return c;
  }
}

export interface InterPodAffinityArgs {
  hardPodAffinityWeight?: number;
}

export function interPodAffinity(cache: SchedulerCache, nsLabels: NamespaceLabels, args: InterPodAffinityArgs = {}): Plugin {
  const hardWeight = args.hardPodAffinityWeight ?? 1;

  const matchesAll = (terms: AffinityTerm[], p: PodInfo) => terms.every((t) => t.matches(p, nsLabels));

  /** `other`'s required anti-affinity towards `pod`. */
  function accountExistingAnti(st: FilterState, pod: PodInfo, other: PodInfo, node: NodeInfo, d: number): void {
    for (const t of other.requiredAntiAffinity) {
      const v = node.labels[t.topologyKey];
      if (v === undefined || !t.matches(pod, nsLabels)) continue;
      bumpKeyed(st.existingAnti, t.topologyKey, v, d);
    }
  }

  /** `pod`'s required affinity towards `other`. */
  function accountAffinity(st: FilterState, pod: PodInfo, other: PodInfo, node: NodeInfo, d: number): void {
    const terms = pod.requiredAffinity;
    // An existing pod counts for affinity when it matches all the terms, as Kubernetes does.
    if (!terms.length || !matchesAll(terms, other)) return;
    for (let i = 0; i < terms.length; i++) {
      const v = node.labels[terms[i]!.topologyKey];
      if (v !== undefined) bump(st.affinity[i]!, v, d);
    }
  }

  /** `pod`'s required anti-affinity term `i` towards `other`. */
  function accountAnti(st: FilterState, pod: PodInfo, i: number, other: PodInfo, node: NodeInfo, d: number): void {
    const t = pod.requiredAntiAffinity[i]!;
    const v = node.labels[t.topologyKey];
    if (v !== undefined && t.matches(other, nsLabels)) bump(st.anti[i]!, v, d);
  }

  function account(st: FilterState, pod: PodInfo, other: PodInfo, node: NodeInfo, d: number): void {
    accountExistingAnti(st, pod, other, node, d);
    accountAffinity(st, pod, other, node, d);
    for (let i = 0; i < pod.requiredAntiAffinity.length; i++) accountAnti(st, pod, i, other, node, d);
  }

  return {
    name: 'InterPodAffinity',
    events: ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeUpdate', 'NamespaceChange'],
    preFilter(state, pod, nodes) {
      const st = new FilterState();
      st.affinity = pod.requiredAffinity.map(() => new Map());
      st.anti = pod.requiredAntiAffinity.map(() => new Map());
      const own = st.affinity.length + st.anti.length > 0;
      let anyExistingAnti = false;
      if (nodes === cache.nodeList()) {
        // The cache's own nodes: look pods up through its index instead of walking every node.
        // A pod counts when its node is one of those nodes (has a Node object).
        const idx = cache.index;
        // Existing pods' terms come grouped (identical terms together) with their counts
        // per topology value, so each distinct term is matched against the pod once.
        for (const g of idx.requiredAntiGroups()) {
          if (g.present <= 0) continue;
          anyExistingAnti = true;
          if (!g.perValue.size || !g.term.matches(pod, nsLabels)) continue;
          const key = g.term.topologyKey;
          const cur = st.existingAnti.get(key);
          if (!cur) st.existingAnti.set(key, new Map(g.perValue));
          else for (const [v, c] of g.perValue) bump(cur, v, c);
        }
        const aff = pod.requiredAffinity;
        if (aff.length) {
          for (const other of idx.candidates(aff[0]!.selector)) {
            const n = cache.getNode(other.nodeName);
            if (n) accountAffinity(st, pod, other, n, 1);
          }
        }
        const anti = pod.requiredAntiAffinity;
        for (let i = 0; i < anti.length; i++) {
          const counted = idx.termCounts(anti[i]!);
          if (counted) {
            st.anti[i] = new Map(counted);
            continue;
          }
          for (const other of idx.candidates(anti[i]!.selector)) {
            const n = cache.getNode(other.nodeName);
            if (n) accountAnti(st, pod, i, other, n, 1);
          }
        }
      } else {
        for (const n of nodes) {
          if (own) for (const other of n.pods.values()) account(st, pod, other, n, 1);
          else if (n.podsWithRequiredAntiAffinity.size) {
            anyExistingAnti = true;
            for (const other of n.podsWithRequiredAntiAffinity) account(st, pod, other, n, 1);
          }
        }
      }
      if (!own && !anyExistingAnti) return Status.skip;
      state.write(STATE, st);
      return undefined;
    },
    addPod(state, pod, added, node) {
      const st = state.read<FilterState>(STATE);
      if (st) account(st, pod, added, node, 1);
    },
    removePod(state, pod, removed, node) {
      const st = state.read<FilterState>(STATE);
      if (st) account(st, pod, removed, node, -1);
    },
    filter(state, pod, node) {
      const st = state.read<FilterState>(STATE);
      if (!st) return undefined;
      const terms = pod.requiredAffinity;
      if (terms.length) {
        let ok = true;
        for (let i = 0; i < terms.length && ok; i++) {
          const v = node.labels[terms[i]!.topologyKey];
          ok = v !== undefined && (st.affinity[i]!.get(v) ?? 0) > 0;
        }
        if (!ok) {
          // The first pod of a group that wants to be together may go anywhere the labels exist.
          const none = st.affinity.every((m) => [...m.values()].every((c) => c <= 0));
          const labelled = terms.every((t) => node.labels[t.topologyKey] !== undefined);
          if (!(none && labelled && matchesAll(terms, pod))) return Status.unresolvable(AFFINITY);
        }
      }
      const anti = pod.requiredAntiAffinity;
      for (let i = 0; i < anti.length; i++) {
        const v = node.labels[anti[i]!.topologyKey];
        if (v !== undefined && (st.anti[i]!.get(v) ?? 0) > 0) return Status.unschedulable(ANTI);
      }
      // Checked in Kubernetes' order: the pod's affinity, its anti-affinity, then existing pods'.
      for (const [k, counts] of st.existingAnti) {
        const v = node.labels[k];
        if (v !== undefined && (counts.get(v) ?? 0) > 0) return Status.unschedulable(EXISTING_ANTI);
      }
      return undefined;
    },
    preScore(state, pod, nodes) {
      const scores: KeyedCounts = new Map();
      const add = (t: AffinityTerm, node: NodeInfo, w: number) => {
        const v = node.labels[t.topologyKey];
        if (v === undefined || w === 0) return;
        bumpKeyed(scores, t.topologyKey, v, w);
      };
      // Every pod on the cache's nodes: the pod's preferred terms towards it (looked up
      // through the label index), and its own terms towards the pod (pods with affinity).
      const idx = cache.index;
      const own = (terms: AffinityTerm[], sign: number) => {
        for (const t of terms) {
          for (const other of idx.candidates(t.selector)) {
            const n = cache.getNode(other.nodeName);
            if (n && t.matches(other, nsLabels)) add(t, n, sign * t.weight);
          }
        }
      };
      own(pod.preferredAffinity, 1);
      own(pod.preferredAntiAffinity, -1);
      // Pods whose only terms are required anti-affinity add nothing here.
      for (const other of idx.withScoringTerms) {
        const n = cache.getNode(other.nodeName);
        if (!n) continue;
        for (const t of other.preferredAffinity) if (t.matches(pod, nsLabels)) add(t, n, t.weight);
        for (const t of other.preferredAntiAffinity) if (t.matches(pod, nsLabels)) add(t, n, -t.weight);
        for (const t of other.requiredAffinity) if (t.matches(pod, nsLabels)) add(t, n, hardWeight);
      }
      if (!scores.size) return Status.skip;
      void nodes;
      state.write(SCORE_STATE, scores);
      return undefined;
    },
    score(state, _pod, node) {
      const st = state.read<KeyedCounts>(SCORE_STATE);
      if (!st) return 0;
      let s = 0;
      for (const [k, counts] of st) {
        const v = node.labels[k];
        if (v !== undefined) s += counts.get(v) ?? 0;
      }
      return s;
    },
    normalizeScore(_s, _p, _n, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
      const diff = max - min;
      for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.floor((MAX_NODE_SCORE * (scores[i]! - min)) / diff) : 0;
    },
  };
}
