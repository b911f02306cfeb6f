// ImageLocality: prefer nodes that already hold the pod's images, weighted by how few
// nodes have them (so one popular image does not pull every pod to the same nodes).
import type { SchedulerCache } from '../cache.js';
import { MAX_NODE_SCORE, type Plugin } from '../types.js';

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** Kubernetes matches images by their normalised name: a missing tag means :latest. */
export function normalizedImageName(name: string): string {
  const last = name.lastIndexOf('/');
  if (name.indexOf(':', last + 1) < 0 && !name.includes('@')) return `${name}:latest`;
  return name;
}

export function imageLocality(cache: SchedulerCache): Plugin {
  return {
    name: 'ImageLocality',
    score(_s, pod, node) {
      if (!node.images.size) return 0;
      const containers = [...(pod.pod.spec?.initContainers ?? []), ...(pod.pod.spec?.containers ?? [])];
      const total = cache.nodeCount() || 1;
      let sum = 0;
      for (const c of containers) {
        if (!c.image) continue;
        const name = normalizedImageName(c.image);
        const size = node.images.get(name) ?? node.images.get(c.image);
        if (size === undefined) continue;
        const spread = (cache.imageNodes.get(name) ?? cache.imageNodes.get(c.image) ?? 1) / total;
        sum += size * spread;
      }
      const max = MAX_CONTAINER_THRESHOLD * Math.max(1, pod.pod.spec?.containers?.length ?? 1);
      const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
      return Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
    },
  };
}
