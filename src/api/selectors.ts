// Label and field selectors as the apiserver reads them from `labelSelector=` and
// `fieldSelector=` query parameters, with the grammar, ordering, string forms and error
// messages of k8s.io/apimachinery (labels.Parse, fields.ParseSelector) so that kubectl users
// see what they know.
import { isLabelValue, isQualifiedName } from './validation.js';

import { SelectorParseError } from './selector-error.js';

export { SelectorParseError };
export * from './field-selector.js';

// ---- label selectors ------------------------------------------------------------------------

/** selection.Operator values of Kubernetes. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted when parsed from a string; as given when built from a spec. */
  readonly values: readonly string[];
}

export interface LabelSelector {
  /** Sorted by key (stable), as Kubernetes keeps them. */
  readonly requirements: readonly LabelRequirement[];
  /** True when the selector does not restrict anything (matches every object). */
  readonly empty: boolean;
  matches(labels: Record<string, string> | undefined | null): boolean;
  /**
   * The single value an equality term (=, ==, or `in` with one value) on `key` demands, if the
   * first term on `key` is such a term; lets a cache answer from an index.
   */
  requiresExactMatch(key: string): string | undefined;
  toString(): string;
}

const has = (labels: Record<string, string>, key: string) => Object.hasOwn(labels, key);

function intValue(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const v = BigInt(s);
  // Go's strconv.ParseInt(s, 10, 64): out of range is an error, not a clamp.
  return v > 0x7fffffffffffffffn || v < -0x8000000000000000n ? undefined : v;
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has(labels, r.key) && r.values.includes(labels[r.key]!);
    case '!=':
    case 'notin':
      return !has(labels, r.key) || !r.values.includes(labels[r.key]!);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const got = intValue(labels[r.key]!);
      const want = intValue(r.values[0]!);
      if (got === undefined || want === undefined) return false;
      return r.operator === 'gt' ? got > want : got < want;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  if (r.operator === '!') return `!${r.key}`;
  if (r.operator === 'exists') return r.key;
  const vals = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',');
  if (r.operator === 'in' || r.operator === 'notin') return `${r.key} ${r.operator} (${vals})`;
  return `${r.key}${r.operator === 'gt' ? '>' : r.operator === 'lt' ? '<' : r.operator}${vals}`;
}

class RequirementsSelector implements LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  constructor(reqs: LabelRequirement[]) {
    // Array.prototype.sort is stable: equal keys keep their order, as Go's sort does for small n.
    this.requirements = Object.freeze([...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined | null): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (!r || !['=', '==', 'in'].includes(r.operator) || r.values.length !== 1) return undefined;
    return r.values[0];
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** labels.Nothing(): what a nil metav1.LabelSelector means — it selects no object. */
const NOTHING: LabelSelector = Object.freeze({
  requirements: Object.freeze([]) as readonly LabelRequirement[],
  empty: false,
  matches: () => false,
  requiresExactMatch: () => undefined,
  toString: () => '',
});

/** A selector that matches everything (labels.Everything()). */
export const everythingSelector: LabelSelector = new RequirementsSelector([]);

// Go's %q and Kubernetes' field.Invalid rendering, close enough for ASCII input.
const quote = (s: string) => JSON.stringify(s);

function invalid(path: string, value: string | string[], detail: string): string {
  const shown = Array.isArray(value) ? (value.length ? JSON.stringify(value) : 'null') : quote(value);
  return `${path}: Invalid value: ${shown}: ${detail}`;
}

function keyError(key: string, path: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? invalid(path, key, errs.join('; ')) : undefined;
}

/** labels.NewRequirement: validates key, value count for the operator, and each value. */
export function newLabelRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const kerr = keyError(key, 'key');
  if (kerr) errs.push(kerr);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) errs.push(invalid('values', values, "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) errs.push(invalid('values', values, 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) errs.push(invalid('values', values, 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) errs.push(invalid('values', values, "for 'Gt', 'Lt' operators, exactly one value is required"));
      values.forEach((v, i) => {
        if (intValue(v) === undefined) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
    default: {
      const ops = ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!'].map(quote).join(', ');
      errs.push(`operator: Unsupported value: ${quote(operator)}: supported values: ${ops}`);
    }
  }
  values.forEach((v, i) => {
    const verrs = isLabelValue(v);
    if (verrs.length) errs.push(invalid(`values[${i}][${key}]`, v, verrs.join('; ')));
  });
  // utilerrors.NewAggregate: one message alone, several deduplicated in brackets.
  const uniq = [...new Set(errs)];
  if (uniq.length === 1) throw new SelectorParseError(uniq[0]);
  if (uniq.length > 1) throw new SelectorParseError(`[${uniq.join(', ')}]`);
  return Object.freeze({ key, operator, values: Object.freeze([...values]) });
}

// -- lexer and parser (the grammar of labels.Parse) --

type Tok = 'end' | ')' | ',' | '!' | '==' | '=' | '>' | '<' | 'ident' | 'in' | '!=' | 'notin' | '(';
type Item = { tok: Tok; lit: string };

const SYMBOLS = new Set(['=', '!', '(', ')', ',', '>', '<']);
const KEYWORDS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  '<': '<',
  in: 'in',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';

function lex(s: string): Item[] {
  const items: Item[] = [];
  let p = 0;
  for (;;) {
    while (p < s.length && isSpace(s[p]!)) p++;
    if (p >= s.length) {
      items.push({ tok: 'end', lit: '' });
      return items;
    }
    if (SYMBOLS.has(s[p]!)) {
      // Longest run of symbols that still forms an operator ("!=", "==").
      let lit = s[p++]!;
      while (p < s.length && SYMBOLS.has(s[p]!) && KEYWORDS[lit + s[p]!]) lit += s[p++]!;
      items.push({ tok: KEYWORDS[lit]!, lit });
    } else {
      const start = p;
      while (p < s.length && !SYMBOLS.has(s[p]!) && !isSpace(s[p]!)) p++;
      const lit = s.slice(start, p);
      items.push({ tok: lit === 'in' || lit === 'notin' ? lit : 'ident', lit });
    }
  }
}

const BINARY_OPS = 'in, notin, =, ==, !=, gt, lt';
const OP_OF: Partial<Record<Tok, LabelOperator>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };

class LabelParser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  // In value position the keywords `in` and `notin` are ordinary identifiers.
  private peek(values = true): Item {
    const it = this.items[this.pos]!;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'ident', lit: it.lit } : it;
  }
  private next(values = true): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === 'end') return reqs;
      if (tok !== 'ident' && tok !== '!') throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (e) {
        if (e instanceof SelectorParseError) throw new SelectorParseError(`unable to parse requirement: ${e.message}`);
        throw e;
      }
      const after = this.next();
      if (after.tok === 'end') return reqs;
      if (after.tok !== ',') throw new SelectorParseError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek();
      if (t2.tok !== 'ident' && t2.tok !== '!') throw new SelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let negated = false;
    let t = this.next();
    if (t.tok === '!') {
      negated = true;
      t = this.next();
    }
    if (t.tok !== 'ident') throw new SelectorParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const kerr = keyError(key, '<nil>');
    if (kerr) throw new SelectorParseError(kerr);
    // `!key` never takes an operator: whatever follows it is reported by the caller.
    if (negated) return newLabelRequirement(key, '!', []);
    const la = this.peek().tok;
    if (la === 'end' || la === ',') return newLabelRequirement(key, 'exists', []);
    const opItem = this.next(false);
    const op = OP_OF[opItem.tok];
    if (!op) throw new SelectorParseError(`found '${opItem.lit}', expected: ${BINARY_OPS}`);
    const values = op === 'in' || op === 'notin' ? this.setValues() : this.exactValue();
    return newLabelRequirement(key, op, [...new Set(values)].sort());
  }

  private setValues(): string[] {
    const open = this.next();
    if (open.tok !== '(') throw new SelectorParseError(`found '${open.lit}' expected: '('`);
    const first = this.peek();
    if (first.tok === ')') {
      this.next();
      return [''];
    }
    if (first.tok !== 'ident' && first.tok !== ',') throw new SelectorParseError(`found '${first.lit}', expected: ',', ')' or identifier`);
    // Empty entries ("(,a)", "(a,,b)", "(a,)") stand for the empty value.
    const vals: string[] = [];
    for (;;) {
      const t = this.next();
      if (t.tok === 'ident') {
        vals.push(t.lit);
        const t2 = this.peek();
        if (t2.tok === ')') break;
        if (t2.tok !== ',') throw new SelectorParseError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (vals.length === 0) vals.push('');
        const t2 = this.peek().tok;
        if (t2 === ')') {
          vals.push('');
          break;
        }
        if (t2 === ',') {
          this.next();
          vals.push('');
        }
      } else {
        throw new SelectorParseError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
    this.next(); // the ')' seen above
    return vals;
  }

  private exactValue(): string[] {
    const la = this.peek().tok;
    if (la === 'end' || la === ',') return [''];
    const t = this.next();
    if (t.tok !== 'ident') throw new SelectorParseError(`found '${t.lit}', expected: identifier`);
    return [t.lit];
  }
}

/** labels.Parse: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma-separated. */
export function parseLabelSelector(s: string): LabelSelector {
  return new RequirementsSelector(new LabelParser(lex(s)).parse());
}

export interface LabelSelectorSpec {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

const SPEC_OPS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * metav1.LabelSelectorAsSelector: a missing selector selects nothing, an empty one everything.
 * Throws SelectorParseError for an invalid key, value or operator.
 */
export function labelSelectorFromSpec(sel: LabelSelectorSpec | null | undefined): LabelSelector {
  if (!sel) return NOTHING;
  const labels = Object.entries(sel.matchLabels ?? {});
  const exprs = sel.matchExpressions ?? [];
  if (labels.length + exprs.length === 0) return everythingSelector;
  const reqs = labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => newLabelRequirement(k, '=', [v]));
  for (const e of exprs) {
    const op = SPEC_OPS[e.operator];
    if (!op) throw new SelectorParseError(`${quote(e.operator)} is not a valid label selector operator`);
    reqs.push(newLabelRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new RequirementsSelector(reqs);
}

/** The string form of a spec selector, as the scale subresource's status.selector carries it. */
export function labelSelectorToString(sel: LabelSelectorSpec | null | undefined): string {
  return labelSelectorFromSpec(sel).toString();
}

/** metav1.FormatLabelSelector, for display: `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelectorSpec | null | undefined): string {
  try {
    return labelSelectorToString(sel) || '<none>';
  } catch {
    return '<error>';
  }
}
