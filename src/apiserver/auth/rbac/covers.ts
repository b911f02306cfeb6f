// Whether the rules someone holds cover the rules they want to grant, as Kubernetes'
// validation.Covers: each wanted rule is broken into single verb × group × resource × name
// pieces; every piece must be allowed by some held rule. Returns the pieces not covered,
// compacted (verbs merged) and ordered as Kubernetes prints them.
import type { PolicyRule } from './rules.js';

function has(list: string[] | undefined, v: string): boolean {
  return !!list && (list.includes('*') || list.includes(v));
}

function resourceCovered(held: string[] | undefined, res: string): boolean {
  if (!held) return false;
  if (held.includes('*') || held.includes(res)) return true;
  const slash = res.indexOf('/');
  return slash >= 0 && held.includes(`*/${res.slice(slash + 1)}`);
}

function urlCovered(held: string[] | undefined, url: string): boolean {
  if (!held) return false;
  for (const h of held) {
    if (h === '*' || h === url) return true;
    if (h.endsWith('*') && url.startsWith(h.slice(0, -1))) return true;
  }
  return false;
}

function breakdown(r: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of r.verbs) {
    for (const url of r.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? []) {
        if (r.resourceNames?.length) for (const n of r.resourceNames) out.push({ verbs: [verb], apiGroups: [g], resources: [res], resourceNames: [n] });
        else out.push({ verbs: [verb], apiGroups: [g], resources: [res] });
      }
  }
  return out;
}

function pieceCovered(held: PolicyRule, p: PolicyRule): boolean {
  if (!has(held.verbs, p.verbs[0]!)) return false;
  if (p.nonResourceURLs) return urlCovered(held.nonResourceURLs, p.nonResourceURLs[0]!);
  if (!has(held.apiGroups, p.apiGroups![0]!) || !resourceCovered(held.resources, p.resources![0]!)) return false;
  if (!held.resourceNames?.length) return true;
  return !!p.resourceNames && held.resourceNames.includes(p.resourceNames[0]!);
}

/** Go's %q of a []string: ["a" "b"]. */
function q(list: string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** PolicyRule.CompactString. */
export function compactString(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${q(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${q(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${q(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${q(r.resourceNames)}`);
  if (r.verbs.length) parts.push(`Verbs:${q(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

export function uncovered(held: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const w of wanted) for (const p of breakdown(w)) if (!held.some((h) => pieceCovered(h, p))) missing.push(p);
  // Pieces differing only in verb become one rule, as rbacv1helpers.CompactRules.
  const merged = new Map<string, PolicyRule>();
  const out: PolicyRule[] = [];
  for (const m of missing) {
    if (m.nonResourceURLs) {
      out.push(m);
      continue;
    }
    const key = JSON.stringify([m.apiGroups, m.resources, m.resourceNames ?? []]);
    const have = merged.get(key);
    if (have) {
      if (!have.verbs.includes(m.verbs[0]!)) have.verbs.push(m.verbs[0]!);
    } else merged.set(key, { ...m, verbs: [...m.verbs] });
  }
  out.push(...merged.values());
  return out.sort((a, b) => (compactString(a) < compactString(b) ? -1 : compactString(a) > compactString(b) ? 1 : 0));
}
