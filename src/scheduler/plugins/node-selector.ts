// Node selector terms (required node affinity, PV node affinity) as v1 defines them.
import type { NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from '../node-info.js';

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && (r.values ?? []).includes(value);
    case 'NotIn':
      return value === undefined || !(r.values ?? []).includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !/^-?\d+$/.test(value) || r.values?.length !== 1 || !/^-?\d+$/.test(r.values[0]!)) return false;
      const got = Number(value);
      const want = Number(r.values[0]);
      return r.operator === 'Gt' ? got > want : got < want;
    }
    default:
      return false;
  }
}

export function termMatches(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  // An empty term matches no objects.
  if (!exprs.length && !fields.length) return false;
  for (const r of exprs) if (!requirementMatches(r, Object.hasOwn(node.labels, r.key) ? node.labels[r.key] : undefined)) return false;
  for (const r of fields) if (!requirementMatches(r, r.key === 'metadata.name' ? node.name : undefined)) return false;
  return true;
}

/** The terms are ORed. */
export function nodeSelectorMatches(sel: NodeSelector, node: NodeInfo): boolean {
  return sel.nodeSelectorTerms.some((t) => termMatches(t, node));
}
