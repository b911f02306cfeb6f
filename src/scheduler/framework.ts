// One scheduling profile: its plugins per extension point, and how each extension point
// runs them — PreFilter, Filter over (a share of) the nodes, PreScore, Score, NormalizeScore
// with weights and the choice of a node (kube-scheduler's schedulePod), then PostFilter,
// Reserve/Unreserve, Permit, PreBind and Bind — so the scheduler only sequences them.
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { Code, type CycleState, Status, type Plugin } from './types.js';

export interface WeightedPlugin {
  plugin: Plugin;
  weight: number;
}

export interface ExtensionPoints {
  preFilter: Plugin[];
  filter: Plugin[];
  postFilter: Plugin[];
  preScore: Plugin[];
  score: WeightedPlugin[];
  reserve: Plugin[];
  permit: Plugin[];
  preBind: Plugin[];
  bind: Plugin[];
}

/** Pods nominated to nodes by preemption, which others must leave room for. */
export class Nominator {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOf = new Map<string, string>();
  add(p: PodInfo, node: string): void {
    this.delete(p.key);
    if (!node) return;
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    m.set(p.key, p);
    this.nodeOf.set(p.key, node);
  }
  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const m = this.byNode.get(node);
    m?.delete(key);
    if (m && !m.size) this.byNode.delete(node);
  }
  on(node: string): Iterable<PodInfo> | undefined {
    return this.byNode.get(node)?.values();
  }
  nodeFor(key: string): string | undefined {
    return this.nodeOf.get(key);
  }
}

export class FitError extends Error {
  constructor(
    readonly pod: PodInfo,
    readonly numAllNodes: number,
    readonly statuses: Map<string, Status>,
    readonly preFilterMsg = '',
    public postFilterMsg = '',
  ) {
    super('');
  }

  /** "0/3 nodes are available: 3 Insufficient cpu." as framework.FitError.Error() writes it. */
  describe(): string {
    let msg = `0/${this.numAllNodes} nodes are available:`;
    if (this.preFilterMsg) msg += ` ${this.preFilterMsg}.`;
    else {
      const hist = new Map<string, number>();
      for (const s of this.statuses.values()) for (const r of s.reasons) hist.set(r, (hist.get(r) ?? 0) + 1);
      const parts = [...hist].map(([r, n]) => `${n} ${r}`).sort();
      if (parts.length) msg += ` ${parts.join(', ')}.`;
    }
    if (this.postFilterMsg) msg += ` ${this.postFilterMsg}.`;
    return msg;
  }
}

export const MIN_FEASIBLE_NODES = 100;
export const MIN_FEASIBLE_PERCENTAGE = 5;

/** How many feasible nodes to look for before scoring (percentageOfNodesToScore). */
export function numFeasibleNodesToFind(numAll: number, percentage?: number): number {
  if (numAll < MIN_FEASIBLE_NODES) return numAll;
  let pct = percentage ?? 0;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_PERCENTAGE, 50 - Math.floor(numAll / 125));
  if (pct >= 100) return numAll;
  const n = Math.floor((numAll * pct) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES);
}

export class Framework {
  private nextStartNodeIndex = 0;

  constructor(
    readonly schedulerName: string,
    readonly points: ExtensionPoints,
    readonly nominator: Nominator,
    private readonly percentageOfNodesToScore?: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** All Filter plugins on one node, stopping at the first rejection. */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    for (const p of this.points.filter) {
      if (state.skipFilter.has(p.name)) continue;
      const s = p.filter!(state, pod, node);
      if (s && s.code !== Code.Success) return s.withPlugin(p.name);
    }
    return undefined;
  }

  /**
   * Filters as if equal-or-higher-priority pods nominated to the node were already
   * there (they were promised the room), then without them (they may not come).
   */
  runFiltersWithNominated(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const nominated = this.nominator.on(node.name);
    if (nominated) {
      let copy: NodeInfo | undefined;
      let st: CycleState | undefined;
      for (const np of nominated) {
        if (np.key === pod.key || np.priority < pod.priority) continue;
        copy ??= node.clone();
        st ??= state.clone();
        copy.addPod(np);
        for (const p of this.points.preFilter) if (!st.skipFilter.has(p.name)) p.addPod?.(st, pod, np, copy);
      }
      if (copy) {
        const s = this.runFilters(st!, pod, copy);
        if (s) return s;
      }
    }
    return this.runFilters(state, pod, node);
  }

  runPreFilter(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): { status?: Status; nodeNames?: Set<string> } {
    let names: Set<string> | undefined;
    for (const p of this.points.preFilter) {
      const r = p.preFilter!(state, pod, nodes);
      if (r instanceof Status) {
        if (r.code === Code.Skip) state.skipFilter.add(p.name);
        else if (r.code !== Code.Success) return { status: r.withPlugin(p.name) };
      } else if (r?.nodeNames) {
        names = names ? new Set([...names].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
      }
    }
    return { nodeNames: names };
  }

  /**
   * PostFilter (preemption) after a pod fit nowhere: plugins run in order until one
   * succeeds. A plugin that throws is reported to `onError` and the next one runs.
   * `message` is the last failing plugin's status message, absent when none failed.
   */
  async runPostFilterPlugins(
    state: CycleState,
    pod: PodInfo,
    statuses: Map<string, Status>,
    onError: (plugin: string, err: Error) => void,
  ): Promise<{ nominatedNodeName?: string; message?: string }> {
    let nominatedNodeName: string | undefined;
    let message: string | undefined;
    for (const pl of this.points.postFilter) {
      try {
        const r = await pl.postFilter!(state, pod, statuses);
        if (r.nominatedNodeName !== undefined) nominatedNodeName = r.nominatedNodeName;
        if (r.status.code === Code.Success) break;
        message = r.status.message;
      } catch (err) {
        onError(pl.name, err as Error);
      }
    }
    return { nominatedNodeName, message };
  }

  /**
   * Reserve on every plugin in order; the first failure stops it and comes back as an
   * error naming the plugin. Undoing what was reserved (runUnreservePlugins) is the caller's.
   */
  runReservePlugins(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined {
    for (const pl of this.points.reserve) {
      const s = pl.reserve!(state, pod, nodeName);
      if (s && s.code !== Code.Success) return Status.error(`running Reserve plugin "${pl.name}": ${s.message}`).withPlugin(pl.name);
    }
    return undefined;
  }

  /** Unreserve on every Reserve plugin, in reverse order; it cannot fail. */
  runUnreservePlugins(state: CycleState, pod: PodInfo, nodeName: string): void {
    const plugins = this.points.reserve;
    for (let i = plugins.length - 1; i >= 0; i--) plugins[i]!.unreserve?.(state, pod, nodeName);
  }

  /**
   * Permit on every plugin in order: a rejection comes back as the plugin's own status
   * (the pod is unschedulable there), any other failure as an error naming the plugin.
   */
  runPermitPlugins(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined {
    for (const pl of this.points.permit) {
      const s = pl.permit!(state, pod, nodeName);
      if (!s || s.code === Code.Success) continue;
      if (s.isRejection()) return s.withPlugin(pl.name);
      return Status.error(`running Permit plugin "${pl.name}": ${s.message}`).withPlugin(pl.name);
    }
    return undefined;
  }

  /** PreBind on every plugin in order; the first failure comes back as an error naming the plugin. */
  async runPreBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const pl of this.points.preBind) {
      const s = await pl.preBind!(state, pod, nodeName);
      if (s && s.code !== Code.Success) return Status.error(`running PreBind plugin "${pl.name}": ${s.message}`).withPlugin(pl.name);
    }
    return undefined;
  }

  /**
   * The first Bind plugin that does not skip binds the pod; its failure comes back as an
   * error naming it. Status.skip when every plugin skipped (nothing bound the pod).
   */
  async runBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const pl of this.points.bind) {
      const s = await pl.bind!(state, pod, nodeName);
      if (s?.code === Code.Skip) continue;
      if (s && s.code !== Code.Success) return Status.error(`running Bind plugin "${pl.name}": ${s.message}`).withPlugin(pl.name);
      return undefined;
    }
    return Status.skip;
  }

  /** Picks a node, or throws FitError (with each node's rejection). */
  schedulePod(state: CycleState, pod: PodInfo, allNodes: NodeInfo[], getNode: (n: string) => NodeInfo | undefined): string {
    if (!allNodes.length) throw new FitError(pod, 0, new Map());
    const pre = this.runPreFilter(state, pod, allNodes);
    if (pre.status) {
      pod.unschedulablePlugins.add(pre.status.plugin);
      const statuses = new Map<string, Status>();
      for (const n of allNodes) statuses.set(n.name, pre.status);
      throw new FitError(pod, allNodes.length, statuses, pre.status.message);
    }
    // A pod that preempted for a node tries that node first.
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const n = getNode(nominated);
      if (n && (!pre.nodeNames || pre.nodeNames.has(nominated)) && !this.runFiltersWithNominated(state, pod, n)) return nominated;
    }
    const candidates = pre.nodeNames ? allNodes.filter((n) => pre.nodeNames!.has(n.name)) : allNodes;
    const statuses = new Map<string, Status>();
    const feasible = this.findFeasible(state, pod, candidates, statuses);
    if (!feasible.length) {
      for (const n of allNodes) if (!statuses.has(n.name)) statuses.set(n.name, Status.unresolvable("node(s) didn't satisfy plugin(s) [NodeAffinity]"));
      for (const s of statuses.values()) if (s.plugin) pod.unschedulablePlugins.add(s.plugin);
      throw new FitError(pod, allNodes.length, statuses);
    }
    if (feasible.length === 1) return feasible[0]!.name;
    return this.selectHost(this.prioritize(state, pod, feasible), feasible);
  }

  private findFeasible(state: CycleState, pod: PodInfo, nodes: NodeInfo[], statuses: Map<string, Status>): NodeInfo[] {
    const want = numFeasibleNodesToFind(nodes.length, this.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const len = nodes.length;
    const start = this.nextStartNodeIndex % len;
    let processed = 0;
    for (; processed < len && feasible.length < want; processed++) {
      const n = nodes[(start + processed) % len]!;
      const s = this.runFiltersWithNominated(state, pod, n);
      if (s) statuses.set(n.name, s);
      else feasible.push(n);
    }
    this.nextStartNodeIndex = (start + processed) % len;
    return feasible;
  }

  private prioritize(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Float64Array {
    const total = new Float64Array(nodes.length);
    for (const p of this.points.preScore) {
      const s = p.preScore!(state, pod, nodes);
      if (s?.code === Code.Skip) state.skipScore.add(p.name);
    }
    const scores = new Float64Array(nodes.length);
    for (const { plugin, weight } of this.points.score) {
      if (state.skipScore.has(plugin.name)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score!(state, pod, nodes[i]!);
      plugin.normalizeScore?.(state, pod, nodes, scores);
      for (let i = 0; i < nodes.length; i++) total[i]! += scores[i]! * weight;
    }
    return total;
  }

  /** The highest total; ties broken at random (reservoir sampling), as Kubernetes does. */
  private selectHost(scores: Float64Array, nodes: NodeInfo[]): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      if (scores[i]! > scores[best]!) {
        best = i;
        ties = 1;
      } else if (scores[i] === scores[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return nodes[best]!.name;
  }
}
