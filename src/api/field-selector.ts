// Field selectors as the apiserver reads them from `fieldSelector=`, with the grammar,
// escaping and error messages of k8s.io/apimachinery's fields.ParseSelector.
import { SelectorParseError } from './selector-error.js';

// ---- field selectors ------------------------------------------------------------------------

export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  /** In the order of their sorted source terms, as Kubernetes keeps them. */
  readonly requirements: readonly FieldRequirement[];
  readonly empty: boolean;
  /** `fields(name)` gives the object's value of a field; an absent field counts as "". */
  matches(fields: (name: string) => string | undefined): boolean;
  /** The value an `=` term on `field` demands, if there is one. */
  requiresExactMatch(field: string): string | undefined;
  toString(): string;
}

/** fields.EscapeValue: makes any string safe as a field selector value. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let slash = false;
  for (const c of s) {
    if (slash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      slash = false;
    } else if (c === '\\') slash = true;
    else if (c === ',' || c === '=') {
      // Go prints the rune with %v, i.e. as its number.
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (slash) throw new SelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

// Splits on commas that are not escaped; the escapes stay in the terms.
function splitFieldTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let slash = false;
  for (let i = 0; i < s.length; i++) {
    if (slash) slash = false;
    else if (s[i] === '\\') slash = true;
    else if (s[i] === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** fields.ParseSelector: `f=v`, `f==v`, `f!=v`, comma-separated, `\` escapes `\`, `,` and `=` in values. */
export function parseFieldSelector(s: string): FieldSelector {
  // Kubernetes sorts the raw terms (byte order) before parsing them.
  const terms = splitFieldTerms(s).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const reqs: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    // The first operator wins, trying "!=" and "==" before "=" at each position.
    const m = /!=|==|=/.exec(term);
    if (!m) throw new SelectorParseError(`invalid selector: '${s}'; can't understand '${term}'`);
    const value = unescapeFieldValue(term.slice(m.index + m[0].length));
    reqs.push(Object.freeze({ field: term.slice(0, m.index), operator: m[0] === '!=' ? '!=' : '=', value }));
  }
  return newFieldSelector(reqs);
}

/** A field selector from requirements (e.g. the apiserver's own `metadata.name=x`). */
export function newFieldSelector(reqs: FieldRequirement[]): FieldSelector {
  const requirements = Object.freeze([...reqs]);
  return Object.freeze({
    requirements,
    empty: requirements.length === 0,
    matches: (fields: (name: string) => string | undefined) => requirements.every((r) => ((fields(r.field) ?? '') === r.value) === (r.operator === '=')),
    requiresExactMatch: (field: string) => requirements.find((r) => r.field === field && r.operator === '=')?.value,
    toString: () => requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(','),
  });
}
