// Every pod in the scheduler cache, indexed by label so that plugins which look for
// "existing pods matching this selector" (InterPodAffinity, PodTopologySpread) visit only
// the pods that can match instead of every pod on every node. Kept incrementally by the
// cache as pods are added, assumed, forgotten and removed. Callers still run the full
// match on each candidate: the index only narrows, it never decides.
import type { LabelSelector } from '../api/selectors.js';
import type { AffinityTerm, PodInfo } from './pod-info.js';

export class PodIndex {
  /** Every indexed pod. */
  readonly all = new Set<PodInfo>();
  /** Pods with any pod affinity/anti-affinity (as NodeInfo.podsWithAffinity, cluster-wide). */
  readonly withAffinity = new Set<PodInfo>();
  /**
   * Pods whose own terms can score another pod (preferred affinity or anti-affinity,
   * required affinity): the subset of withAffinity InterPodAffinity's PreScore looks at.
   */
  readonly withScoringTerms = new Set<PodInfo>();
  /** Pods with required anti-affinity (as NodeInfo.podsWithRequiredAntiAffinity, cluster-wide). */
  readonly withRequiredAntiAffinity = new Set<PodInfo>();
  /** Label key → label value → pods carrying it. */
  private readonly byLabel = new Map<string, Map<string, Set<PodInfo>>>();
  /** Per-node counts of the pods matching a (namespace, selector), kept as pods come and go. */
  private readonly counters = new Map<string, MatchCounter>();
  /** How many counters to keep; the least recently used one goes first. */
  static maxCounters = 32;
  /** Per-topology-value counts of the pods matching a term (by signature), least recently used first. */
  private readonly termCounters = new Map<string, TermCounter>();
  /** Required anti-affinity terms of the indexed pods, grouped by what they mean. */
  private readonly antiGroups = new Map<string, AntiTermGroup>();
  /** Bumped when a node's labels change or a node appears/disappears. */
  private nodeGeneration = 0;

  /** @param nodeLabels labels of a node that exists as a Node object (undefined otherwise). */
  constructor(private readonly nodeLabels: (name: string) => Record<string, string> | undefined = () => undefined) {}

  /** Node labels or the set of nodes changed: per-domain counts are rebuilt when next read. */
  nodesChanged(): void {
    this.nodeGeneration++;
  }

  /**
   * The groups of identical required anti-affinity terms of indexed pods, each with its pods'
   * count per topology value (pods on nodes without a Node object not counted).
   */
  requiredAntiGroups(): Iterable<AntiTermGroup> {
    for (const g of this.antiGroups.values()) g.refresh(this.nodeGeneration, this.nodeLabels);
    return this.antiGroups.values();
  }

  add(p: PodInfo): void {
    if (this.all.has(p)) return;
    this.all.add(p);
    if (p.hasAffinity) {
      this.withAffinity.add(p);
      if (p.preferredAffinity.length || p.preferredAntiAffinity.length || p.requiredAffinity.length) this.withScoringTerms.add(p);
    }
    if (p.hasRequiredAntiAffinity) {
      this.withRequiredAntiAffinity.add(p);
      for (const t of p.requiredAntiAffinity) {
        let g = this.antiGroups.get(t.signature);
        if (!g) this.antiGroups.set(t.signature, (g = new AntiTermGroup(t)));
        g.add(p, 1, this.nodeGeneration, this.nodeLabels);
      }
    }
    for (const k in p.labels) {
      const v = p.labels[k]!;
      let byValue = this.byLabel.get(k);
      if (!byValue) this.byLabel.set(k, (byValue = new Map()));
      let set = byValue.get(v);
      if (!set) byValue.set(v, (set = new Set()));
      set.add(p);
    }
    for (const c of this.counters.values()) c.update(p, 1);
    for (const c of this.termCounters.values()) c.update(p, 1, this.nodeGeneration, this.nodeLabels);
  }

  delete(p: PodInfo): void {
    if (!this.all.delete(p)) return;
    this.withAffinity.delete(p);
    this.withScoringTerms.delete(p);
    if (this.withRequiredAntiAffinity.delete(p)) {
      for (const t of p.requiredAntiAffinity) {
        const g = this.antiGroups.get(t.signature);
        if (!g) continue;
        g.add(p, -1, this.nodeGeneration, this.nodeLabels);
        if (!g.members.size) this.antiGroups.delete(t.signature);
      }
    }
    for (const k in p.labels) {
      const byValue = this.byLabel.get(k);
      const set = byValue?.get(p.labels[k]!);
      if (!set) continue;
      set.delete(p);
      if (!set.size) {
        byValue!.delete(p.labels[k]!);
        if (!byValue!.size) this.byLabel.delete(k);
      }
    }
    for (const c of this.counters.values()) c.update(p, -1);
    for (const c of this.termCounters.values()) c.update(p, -1, this.nodeGeneration, this.nodeLabels);
  }

  /**
   * Topology value (of term.topologyKey) → indexed pods on existing nodes that `term`
   * matches, kept incrementally. Only for terms without a namespace selector (whose
   * matching cannot change with namespace labels); undefined for others. Live: read only.
   */
  termCounts(term: AffinityTerm): ReadonlyMap<string, number> | undefined {
    if (term.nsSelector) return undefined;
    let c = this.termCounters.get(term.signature);
    if (c) {
      this.termCounters.delete(term.signature);
      this.termCounters.set(term.signature, c);
    } else {
      c = new TermCounter(term);
      for (const p of this.candidates(term.selector)) c.update(p, 1, -1, this.nodeLabels);
      this.termCounters.set(term.signature, c);
      if (this.termCounters.size > PodIndex.maxCounters) this.termCounters.delete(this.termCounters.keys().next().value!);
    }
    c.group.refresh(this.nodeGeneration, this.nodeLabels);
    return c.group.perValue;
  }

  /**
   * Node name → how many pods on it are in `namespace`, not being deleted, and match `sel`
   * (what PodTopologySpread counts). Built on first use from the index, then kept up to
   * date incrementally. The map is live: read it, don't keep or change it.
   */
  nodeCounts(namespace: string, sel: LabelSelector): ReadonlyMap<string, number> {
    const key = `${namespace}\0${JSON.stringify(sel.requirements)}\0${sel.empty}`;
    let c = this.counters.get(key);
    if (c) {
      // Most recently used last (Map keeps insertion order).
      this.counters.delete(key);
      this.counters.set(key, c);
      return c.perNode;
    }
    c = new MatchCounter(namespace, sel);
    for (const p of this.candidates(sel)) c.update(p, 1);
    this.counters.set(key, c);
    if (this.counters.size > PodIndex.maxCounters) this.counters.delete(this.counters.keys().next().value!);
    return c.perNode;
  }

  /** How many pods carry label `key` (with any value). */
  private countWithKey(key: string): number {
    let n = 0;
    const byValue = this.byLabel.get(key);
    if (byValue) for (const s of byValue.values()) n += s.size;
    return n;
  }

  /**
   * A superset of the indexed pods `sel` can match: the pods under the most selective
   * positive requirement (=, ==, in, exists), or every pod when there is none.
   */
  candidates(sel: LabelSelector): Iterable<PodInfo> {
    let best: Set<PodInfo>[] | undefined;
    let bestSize = this.all.size;
    for (const r of sel.requirements) {
      let sets: Set<PodInfo>[];
      const byValue = this.byLabel.get(r.key);
      switch (r.operator) {
        case '=':
        case '==':
        case 'in':
          sets = [];
          if (byValue)
            for (const v of new Set(r.values)) {
              const s = byValue.get(v);
              if (s) sets.push(s);
            }
          break;
        case 'exists':
        case 'gt':
        case 'lt':
          sets = byValue ? [...byValue.values()] : [];
          break;
        default:
          continue;
      }
      let size = 0;
      for (const s of sets) size += s.size;
      if (!best || size < bestSize) {
        best = sets;
        bestSize = size;
        if (size === 0) break;
      }
    }
    if (!best) return this.all;
    if (best.length === 1) return best[0]!;
    return concat(best);
  }

  /** For tests: number of pods under `key`. */
  sizeOfKey(key: string): number {
    return this.countWithKey(key);
  }
}

/** Pods sharing one required anti-affinity term (by AffinityTerm.signature). */
export class AntiTermGroup {
  /** Pod → how many of its terms are this term. */
  readonly members = new Map<PodInfo, number>();
  /** Topology value (of term.topologyKey) → terms on nodes with that value. */
  readonly perValue = new Map<string, number>();
  /** Members on nodes that exist as Node objects. */
  present = 0;
  private generation = -1;
  constructor(readonly term: AffinityTerm) {}

  add(p: PodInfo, d: number, gen: number, labels: (name: string) => Record<string, string> | undefined): void {
    const m = (this.members.get(p) ?? 0) + d;
    if (m <= 0) this.members.delete(p);
    else this.members.set(p, m);
    if (this.generation === gen) this.count(p, d, labels);
  }

  refresh(gen: number, labels: (name: string) => Record<string, string> | undefined): void {
    if (this.generation === gen) return;
    this.generation = gen;
    this.perValue.clear();
    this.present = 0;
    for (const [p, m] of this.members) this.count(p, m, labels);
  }

  private count(p: PodInfo, d: number, labels: (name: string) => Record<string, string> | undefined): void {
    const l = labels(p.nodeName);
    if (!l) return;
    this.present += d;
    const v = l[this.term.topologyKey];
    if (v === undefined) return;
    const c = (this.perValue.get(v) ?? 0) + d;
    if (c === 0) this.perValue.delete(v);
    else this.perValue.set(v, c);
  }
}

const noNamespaceLabels = () => undefined;

/** The pods one term (without namespace selector) matches, counted per topology value. */
class TermCounter {
  readonly group: AntiTermGroup;
  constructor(readonly term: AffinityTerm) {
    this.group = new AntiTermGroup(term);
  }
  update(p: PodInfo, d: number, gen: number, labels: (name: string) => Record<string, string> | undefined): void {
    if (this.term.matches(p, noNamespaceLabels)) this.group.add(p, d, gen, labels);
  }
}

class MatchCounter {
  readonly perNode = new Map<string, number>();
  constructor(
    readonly namespace: string,
    readonly selector: LabelSelector,
  ) {}
  update(p: PodInfo, d: number): void {
    if (p.namespace !== this.namespace || p.pod.metadata?.deletionTimestamp || !this.selector.matches(p.labels)) return;
    const n = (this.perNode.get(p.nodeName) ?? 0) + d;
    if (n === 0) this.perNode.delete(p.nodeName);
    else this.perNode.set(p.nodeName, n);
  }
}

function* concat(sets: Set<PodInfo>[]): Iterable<PodInfo> {
  for (const s of sets) yield* s;
}
