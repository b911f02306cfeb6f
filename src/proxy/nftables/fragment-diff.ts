// The nft lines that turn one service port's programmed fragment into the next one, touching
// only what differs. With Debian's nft 1.0.6 every transaction holding an `add rule` or
// `add element` makes nft dump all of the table's chains first, a `delete element` makes it
// dump every set's elements too, and the kernel re-validates the whole table on commit for
// every added rule; so an endpoint change rewrites only the chains whose rules changed, and
// map elements (a service chain's entry in service-ips) stay when they are the same.
import { addChainLine, deleteElementLine, deleteSetLine, elementText, flushChainLine, type MapElement, type ServiceFragment } from './ruleset.js';
import { TABLE } from './names.js';

export interface FragmentDiff {
  /** Element deletions and chain flushes: they go first in the transaction. */
  removals: string[];
  /** Affinity sets to delete (dropped, or recreated because their timeout changed). */
  setDeletes: string[];
  additions: string[];
  /** Chains the old fragment had and the new one has not (flushed now, deleted later). */
  dropped: string[];
}

const elementId = (e: MapElement) => `${e.map} ${elementText(e)}`;

function rulesByChain(f: ServiceFragment | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of f?.chains ?? []) out.set(c, []);
  for (const r of f?.rules ?? []) out.get(r.chain)?.push(r.rule);
  return out;
}

const sameRules = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((r, i) => r === b[i]);

export function fragmentDiff(old: ServiceFragment | undefined, next: ServiceFragment | undefined): FragmentDiff {
  const d: FragmentDiff = { removals: [], setDeletes: [], additions: [], dropped: [] };
  const nextElements = new Set((next?.elements ?? []).map(elementId));
  const oldElements = new Set((old?.elements ?? []).map(elementId));
  for (const e of old?.elements ?? []) if (!nextElements.has(elementId(e))) d.removals.push(deleteElementLine(e));

  const oldSets = new Map((old?.affinitySets ?? []).map((s) => [s.name, s.timeoutSeconds]));
  for (const [name, timeout] of oldSets) {
    const kept = next?.affinitySets.find((n) => n.name === name);
    // A changed timeout cannot be altered in place: the set is recreated.
    if (!kept || kept.timeoutSeconds !== timeout) d.setDeletes.push(deleteSetLine(name));
  }
  for (const s of next?.affinitySets ?? [])
    if (oldSets.get(s.name) !== s.timeoutSeconds)
      d.additions.push(`add set ip ${TABLE} ${s.name} { type ipv4_addr ; flags dynamic,timeout ; timeout ${s.timeoutSeconds}s ; }`);

  // A set is deleted only once no rule refers to it, so then every chain is rewritten.
  const unchanged = d.setDeletes.length > 0 ? () => false : sameRules;
  const oldRules = rulesByChain(old);
  const nextRules = rulesByChain(next);
  for (const [chain, rules] of oldRules) {
    if (!nextRules.has(chain)) {
      d.removals.push(flushChainLine(chain));
      d.dropped.push(chain);
    } else if (!unchanged(rules, nextRules.get(chain)!)) d.removals.push(flushChainLine(chain));
  }
  // Chains first, then rules: a rule may jump to a chain created in this transaction.
  const rewrite: string[] = [];
  for (const [chain, rules] of nextRules) {
    const before = oldRules.get(chain);
    if (unchanged(before, rules)) continue;
    if (!before) d.additions.push(addChainLine(chain));
    rewrite.push(chain);
  }
  for (const chain of rewrite) for (const r of nextRules.get(chain)!) d.additions.push(`add rule ip ${TABLE} ${chain} ${r}`);
  for (const e of next?.elements ?? []) if (!oldElements.has(elementId(e))) d.additions.push(`add element ip ${TABLE} ${e.map} ${elementText(e)}`);
  return d;
}
