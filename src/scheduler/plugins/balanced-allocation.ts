// NodeResourcesBalancedAllocation: prefer nodes where, with the pod, the fractions of
// each resource in use are close to each other (1 − their standard deviation).
import { MAX_NODE_SCORE, type Plugin } from '../types.js';
import { DEFAULT_RESOURCES, requestedAndAllocatable, type ResourceWeight } from './node-resources-fit.js';

export function balancedAllocation(args: { resources?: ResourceWeight[] } = {}): Plugin {
  const resources = args.resources?.length ? args.resources : DEFAULT_RESOURCES;
  const fractions: number[] = [];
  return {
    name: 'NodeResourcesBalancedAllocation',
    score(_s, pod, node) {
      fractions.length = 0;
      for (const { name } of resources) {
        const [req, alloc] = requestedAndAllocatable(pod, node, name);
        if (alloc === 0) continue;
        fractions.push(Math.min(1, req / alloc));
      }
      let std = 0;
      if (fractions.length === 2) std = Math.abs(fractions[0]! - fractions[1]!) / 2;
      else if (fractions.length > 2) {
        const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
        std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
      }
      return Math.floor((1 - std) * MAX_NODE_SCORE);
    },
  };
}
