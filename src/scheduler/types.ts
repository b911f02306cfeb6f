// The scheduling framework's vocabulary: statuses, the per-cycle state, and the
// extension points a plugin may implement (k8s.io/kubernetes/pkg/scheduler/framework).
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

export enum Code {
  Success = 0,
  Error = 1,
  /** Might fit after something changes in the cluster, or after preemption. */
  Unschedulable = 2,
  /** Preemption cannot help on this node. */
  UnschedulableAndUnresolvable = 3,
  Wait = 4,
  /** The plugin has nothing to do for this pod (PreFilter, PreScore, Bind). */
  Skip = 5,
}

export class Status {
  plugin = '';
  constructor(
    readonly code: Code,
    readonly reasons: string[] = [],
    /** For Wait: how long Permit may hold the pod. */
    readonly timeoutMs = 0,
  ) {}
  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }
  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }
  static error(message: string): Status {
    return new Status(Code.Error, [message]);
  }
  static readonly skip = new Status(Code.Skip);
  get message(): string {
    return this.reasons.join(', ');
  }
  isRejection(): boolean {
    return this.code === Code.Unschedulable || this.code === Code.UnschedulableAndUnresolvable;
  }
  withPlugin(name: string): Status {
    this.plugin ||= name;
    return this;
  }
}

/** Success is `undefined`: most plugin calls succeed, and allocating nothing keeps them cheap. */
export type Result = Status | undefined;

/** Data plugins share between extension points within one scheduling cycle. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter said Skip: their Filter is not run. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, v: unknown): void {
    this.data.set(key, v);
  }
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, typeof (v as { clone?: () => unknown })?.clone === 'function' ? (v as { clone(): unknown }).clone() : v);
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    return c;
  }
}

/** The kinds of cluster change that can make an unschedulable pod schedulable. */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete'
  | 'PvcChange'
  | 'PvChange'
  | 'NamespaceChange'
  | 'StorageClassChange';

export interface PreFilterResult {
  /** When set, only these nodes need be considered. */
  nodeNames?: Set<string>;
}

export interface Plugin {
  readonly name: string;
  /** Events after which a pod this plugin rejected deserves another try. */
  readonly events?: readonly ClusterEvent[];
  /** Return Status.skip to have Filter skipped for this pod. */
  preFilter?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Result | PreFilterResult;
  /** Incremental updates for preemption's what-if: a pod added to or removed from `node`. */
  addPod?(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void;
  filter?(state: CycleState, pod: PodInfo, node: NodeInfo): Result;
  postFilter?(state: CycleState, pod: PodInfo, statuses: Map<string, Status>): Promise<{ status: Status; nominatedNodeName?: string }>;
  /** Return Status.skip to have Score skipped for this pod. */
  preScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Result;
  score?(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rewrites `scores` (aligned with `nodes`) into 0..100. */
  normalizeScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[], scores: Float64Array): void;
  reserve?(state: CycleState, pod: PodInfo, nodeName: string): Result;
  unreserve?(state: CycleState, pod: PodInfo, nodeName: string): void;
  permit?(state: CycleState, pod: PodInfo, nodeName: string): Result;
  preBind?(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result>;
  /** Return Status.skip to leave the binding to the next Bind plugin. */
  bind?(state: CycleState, pod: PodInfo, nodeName: string): Promise<Result>;
}

export const MAX_NODE_SCORE = 100;

/** Scales scores so the best becomes 100 (reverse: the best becomes 0), as helper.DefaultNormalizeScore. */
export function defaultNormalizeScore(scores: Float64Array, reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.floor((MAX_NODE_SCORE * scores[i]!) / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}
