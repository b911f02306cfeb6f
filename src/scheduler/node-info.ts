// What the scheduler knows about one node: the Node and the pods on it (bound or assumed),
// with running totals kept incrementally so Filter and Score read them in O(1).
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { addResources, emptyResources, nodeAllocatable, type Resources } from '../api/core/resources.js';
import type { PodInfo } from './pod-info.js';

export class NodeInfo {
  node: Node | undefined;
  name: string;
  allocatable: Resources = emptyResources();
  labels: Record<string, string> = {};
  taints: Taint[] = [];
  /** Image name → size in bytes, from node.status.images. */
  images = new Map<string, number>();
  readonly pods = new Map<string, PodInfo>();
  readonly requested: Resources = emptyResources();
  readonly nonZeroRequested: Resources = emptyResources();
  /** Pods with any pod affinity/anti-affinity, and those with required anti-affinity. */
  readonly podsWithAffinity = new Set<PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  /** Bumped on every change, so derived data can be cached per generation. */
  generation = 0;

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.name = node.metadata!.name!;
    this.allocatable = nodeAllocatable(node);
    this.labels = (node.metadata?.labels ?? {}) as Record<string, string>;
    this.taints = node.spec?.taints ?? [];
    this.images = new Map();
    for (const img of node.status?.images ?? []) for (const n of img.names ?? []) this.images.set(n, img.sizeBytes ?? 0);
    this.generation++;
  }

  addPod(p: PodInfo): void {
    const old = this.pods.get(p.key);
    if (old) this.removePod(old);
    this.pods.set(p.key, p);
    addResources(this.requested, p.requests);
    addResources(this.nonZeroRequested, p.nonZeroRequests);
    this.requested.pods++;
    this.nonZeroRequested.pods++;
    if (p.hasAffinity) this.podsWithAffinity.add(p);
    if (p.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity.add(p);
    this.generation++;
  }

  removePod(p: PodInfo): boolean {
    const cur = this.pods.get(p.key);
    if (!cur) return false;
    this.pods.delete(p.key);
    addResources(this.requested, cur.requests, -1);
    addResources(this.nonZeroRequested, cur.nonZeroRequests, -1);
    this.requested.pods--;
    this.nonZeroRequested.pods--;
    this.podsWithAffinity.delete(cur);
    this.podsWithRequiredAntiAffinity.delete(cur);
    this.generation++;
    return true;
  }

  /** An independent copy for what-if questions (preemption, nominated pods). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.allocatable = this.allocatable;
    c.labels = this.labels;
    c.taints = this.taints;
    c.images = this.images;
    for (const p of this.pods.values()) c.addPod(p);
    return c;
  }
}
