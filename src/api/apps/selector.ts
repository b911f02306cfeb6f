// Label selectors as Kubernetes prints them, and the Go-syntax renderings that appear in
// validation messages. Shared by the workload groups (apps, batch, policy, networking).
import type { FieldError } from '../types.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/**
 * labels.Selector.String() of metav1.LabelSelectorAsSelector: requirements sorted by key,
 * `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`. '' for a nil or empty selector,
 * undefined when the selector cannot be converted (bad operator, In without values …).
 */
export function selectorString(sel: LabelSelector | null | undefined): string | undefined {
  if (!sel) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const values = [...new Set(e?.values ?? [])].sort();
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (!values.length) return undefined;
        reqs.push({ key: e.key, text: `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length) return undefined;
        reqs.push({ key: e.key, text: e.operator === 'Exists' ? e.key : `!${e.key}` });
        break;
      default:
        return undefined;
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** metav1.FormatLabelSelector: '<none>' when empty, '<error>' when unconvertible. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s || '<none>';
}

/** labels.FormatLabels: `k=v` sorted by key, '<none>' when empty. */
export function formatLabelMap(m: Record<string, string> | null | undefined): string {
  const keys = Object.keys(m ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${m![k]}`).join(',') : '<none>';
}

/** True when the selector has no requirements at all (selects everything). */
export function selectorIsEmpty(sel: LabelSelector | null | undefined): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions?.length ?? 0) === 0;
}

// ---- Go %#v renderings: field.Invalid prints non-primitive values this way, and users
// compare these messages with what a real cluster says.

function goQuote(s: string): string {
  return JSON.stringify(s);
}

export function goStringMap(m: Record<string, string> | null | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(', ')}}`;
}

function goStringSlice(xs: string[] | null | undefined): string {
  if (!xs) return '[]string(nil)';
  return `[]string{${xs.map((x) => goQuote(String(x))).join(', ')}}`;
}

export function goLabelSelector(sel: LabelSelector | null | undefined): string {
  if (!sel) return 'null';
  const exprs = sel.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions
        .map(
          (e) =>
            `v1.LabelSelectorRequirement{Key:${goQuote(String(e?.key ?? ''))}, Operator:${goQuote(String(e?.operator ?? ''))}, Values:${goStringSlice(e?.values)}}`,
        )
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** intstr.IntOrString as %#v prints it (its String method has a pointer receiver). */
export function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${Number(v)}, StrVal:""}`;
}

/** field.Invalid with the value already rendered the way Kubernetes renders it. */
export function invalidRaw(field: string, rendered: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, message: `Invalid value: ${rendered}${detail ? `: ${detail}` : ''}` };
}
