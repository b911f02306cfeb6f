// The scheduler's view of where pods are: every bound pod from the informer, plus pods
// it has *assumed* onto a node the moment it decided, before the binding is confirmed.
// Counting assumed pods is what keeps a burst from over-committing a node; a failed
// binding forgets the pod again. The scheduling cycle runs synchronously on Node's one
// thread, so the cache itself serves as the cycle's snapshot: nothing can change under it.
import type { Node } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import { PodIndex } from './pod-index.js';

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Pod key → the PodInfo the cache holds (bound or assumed). */
  private readonly pods = new Map<string, PodInfo>();
  private readonly assumed = new Set<string>();
  /** Image name → number of nodes that have it (ImageLocality's spread). */
  readonly imageNodes = new Map<string, number>();
  private list: NodeInfo[] | undefined;
  /** The same pods as `pods`, indexed by label (for selector look-ups across nodes). */
  readonly index = new PodIndex((name) => this.getNode(name)?.labels);

  /** Nodes that exist as Node objects, in a stable order. */
  nodeList(): NodeInfo[] {
    if (!this.list) this.list = [...this.nodes.values()].filter((n) => n.node);
    return this.list;
  }

  nodeCount(): number {
    return this.nodeList().length;
  }

  getNode(name: string): NodeInfo | undefined {
    const n = this.nodes.get(name);
    return n?.node ? n : undefined;
  }

  private countImages(n: NodeInfo, delta: number): void {
    for (const img of n.images.keys()) {
      const c = (this.imageNodes.get(img) ?? 0) + delta;
      if (c <= 0) this.imageNodes.delete(img);
      else this.imageNodes.set(img, c);
    }
  }

  addNode(node: Node): NodeInfo {
    const name = node.metadata!.name!;
    let n = this.nodes.get(name);
    if (n) {
      const old = n.node ? n.labels : undefined;
      if (n.node) this.countImages(n, -1);
      n.setNode(node);
      if (!old || !sameLabels(old, n.labels)) this.index.nodesChanged();
    } else {
      n = new NodeInfo(name, node);
      this.nodes.set(name, n);
      this.index.nodesChanged();
    }
    this.countImages(n, 1);
    this.list = undefined;
    return n;
  }

  updateNode(node: Node): NodeInfo {
    return this.addNode(node);
  }

  removeNode(name: string): void {
    const n = this.nodes.get(name);
    if (!n) return;
    if (n.node) this.countImages(n, -1);
    this.index.nodesChanged();
    // Pods still bound to a vanished node stay accounted until they are deleted.
    if (n.pods.size) n.node = undefined;
    else this.nodes.delete(name);
    this.list = undefined;
  }

  private nodeFor(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) {
      n = new NodeInfo(name);
      this.nodes.set(name, n);
    }
    return n;
  }

  private place(p: PodInfo): void {
    this.nodeFor(p.nodeName).addPod(p);
    this.pods.set(p.key, p);
    this.index.add(p);
  }

  private unplace(p: PodInfo): void {
    const cur = this.pods.get(p.key);
    if (!cur) return;
    const n = this.nodes.get(cur.nodeName);
    if (n) {
      n.removePod(cur);
      if (!n.node && n.pods.size === 0) this.nodes.delete(n.name);
    }
    this.pods.delete(p.key);
    this.index.delete(cur);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  has(key: string): boolean {
    return this.pods.has(key);
  }

  getPod(key: string): PodInfo | undefined {
    return this.pods.get(key);
  }

  /** Counts the pod on its node now, ahead of the binding. */
  assumePod(p: PodInfo): void {
    if (this.pods.has(p.key)) throw new Error(`pod ${p.key} is already in the scheduler cache`);
    this.place(p);
    this.assumed.add(p.key);
  }

  /** The binding failed: the pod is no longer counted. */
  forgetPod(p: PodInfo): void {
    if (!this.assumed.has(p.key)) return;
    this.assumed.delete(p.key);
    this.unplace(p);
  }

  /** A bound pod seen by the informer (confirms an assumed one). */
  addPod(p: PodInfo): void {
    this.assumed.delete(p.key);
    this.unplace(p);
    this.place(p);
  }

  updatePod(p: PodInfo): void {
    this.addPod(p);
  }

  removePod(key: string): PodInfo | undefined {
    const cur = this.pods.get(key);
    if (!cur) return undefined;
    this.assumed.delete(key);
    this.unplace(cur);
    return cur;
  }

  podCount(): number {
    return this.pods.size;
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  let n = 0;
  for (const k in a) {
    if (a[k] !== b[k] || !Object.hasOwn(b, k)) return false;
    n++;
  }
  for (const _ in b) n--;
  return n === 0;
}
