// Fields given twice in a request body, found in the raw JSON or YAML text before it is
// decoded (decoding keeps only the last value); field-validation.ts reports them.
import YAML, { isMap, isPair, isScalar, isSeq, LineCounter, type Node as YamlNode } from 'yaml';
import { errors } from '../status.js';
import { KUBERNETES_PROTOBUF_CONTENT_TYPE } from '../protobuf/envelope.js';
import { MAX_DEPTH, textDepth, tooDeep, yamlErrorText } from './encoded-limits.js';

/** How the body was written twice over: JSON paths (document order) or YAML line messages. */
export interface Duplicates {
  json?: string[];
  yaml?: string[];
}

const duplicatesByBody = new WeakMap<object, Duplicates>();

/** The duplicates recorded for a decoded body, if any. */
export function duplicatesOf(body: object): Duplicates | undefined {
  return duplicatesByBody.get(body);
}

// ---- duplicate fields in the raw body --------------------------------------------------

/** Paths of keys given twice in a JSON text that is known to parse, in document order. */
export function jsonDuplicateFields(text: string): string[] {
  const out: string[] = [];
  type Frame = { obj: boolean; path: string; keys?: Set<string>; index: number; key?: string };
  const stack: Frame[] = [];
  const childPath = (f: Frame | undefined): string => {
    if (!f) return '';
    if (f.obj) return f.path ? `${f.path}.${f.key}` : f.key!;
    return `${f.path}[${f.index}]`;
  };
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const j = closingQuote(text, i);
      if (expectKey) {
        const top = stack[stack.length - 1]!;
        const rawKey = text.slice(i + 1, j);
        const key = rawKey.includes('\\') ? (JSON.parse(`"${rawKey}"`) as string) : rawKey;
        top.key = key;
        if (top.keys!.has(key)) out.push(childPath(top));
        else top.keys!.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */) {
      stack.push({ obj: true, path: childPath(stack[stack.length - 1]), keys: new Set(), index: 0 });
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push({ obj: false, path: childPath(stack[stack.length - 1]), index: 0 });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.obj) expectKey = true;
      else if (top) top.index++;
    }
  }
  return out;
}

/** The index of the quote closing the string that opens at `i`. */
function closingQuote(text: string, i: number): number {
  let j = text.indexOf('"', i + 1);
  for (;;) {
    let b = j - 1;
    while (text.charCodeAt(b) === 0x5c) b--;
    if ((j - 1 - b) % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
}

/** Keys written in a valid JSON text: strings followed by a colon. */
function keysInText(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i >= 0; ) {
    let k = closingQuote(text, i) + 1;
    let c = text.charCodeAt(k);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++k);
    if (c === 0x3a) n++;
    i = text.indexOf('"', k);
  }
  return n;
}

/** Keys in a parsed value; iterative, as a hostile body may nest deeper than the call stack. */
function keysInValue(root: unknown): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (!v || typeof v !== 'object') continue;
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else
      for (const k in v as Record<string, unknown>) {
        n++;
        stack.push((v as Record<string, unknown>)[k]);
      }
  }
  return n;
}

/** Parses one YAML document allowing repeated keys (the last wins, as in Go), and lists them. */
export function parseYamlWithDuplicates(text: string): { value: unknown; duplicates: string[] } {
  const lineCounter = new LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter, uniqueKeys: false });
  if (!Array.isArray(docs) || docs.length !== 1) throw new Error('expected a single YAML document');
  const doc = docs[0]!;
  if (doc.errors.length) throw doc.errors[0];
  const duplicates: string[] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const key = isScalar(item.key) ? String(item.key.value) : undefined;
        if (key !== undefined) {
          if (seen.has(key)) {
            const at = (item.key as YamlNode).range?.[0] ?? 0;
            duplicates.push(`line ${lineCounter.linePos(at).line}: key ${JSON.stringify(key)} already set in map`);
          }
          seen.add(key);
        }
        visit(item.value);
      }
    } else if (isSeq(node)) for (const item of node.items) visit(item);
  };
  visit(doc.contents);
  return { value: doc.toJS({ maxAliasCount: 100 }), duplicates };
}

/**
 * Decodes JSON and YAML bodies remembering duplicate keys for field validation; undefined
 * for other content types (the caller decodes those as before). `decodeJson` is given the
 * body's text, already within the depth limit. `record` false (Ignore):
 * YAML still accepts repeated keys, and nothing is scanned.
 */
export function decodeWithDuplicates(
  contentType: string | undefined,
  raw: Buffer,
  decodeJson: (checkedText: string) => unknown,
  record = true,
): unknown | undefined {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (raw.length === 0) return undefined;
  // Decoded to text once, for the depth check and the key count alike.
  const text = type === KUBERNETES_PROTOBUF_CONTENT_TYPE ? '' : raw.toString('utf8');
  if (type !== KUBERNETES_PROTOBUF_CONTENT_TYPE && textDepth(text) > MAX_DEPTH) throw tooDeep();
  if (type === 'application/json' || type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') {
    const body = decodeJson(text);
    if (record && body && typeof body === 'object') {
      // Counting keys is cheap; the full scan with paths runs only when the counts differ.
      if (keysInText(text) !== keysInValue(body)) {
        const json = jsonDuplicateFields(text);
        if (json.length) duplicatesByBody.set(body, { json });
      }
    }
    return body;
  }
  if (type === 'application/yaml' || type === 'text/yaml') {
    let parsed: { value: unknown; duplicates: string[] };
    try {
      parsed = parseYamlWithDuplicates(text);
    } catch (err) {
      throw errors.badRequest(`error converting YAML to JSON: yaml: ${yamlErrorText(err)}`);
    }
    if (record && parsed.value && typeof parsed.value === 'object' && parsed.duplicates.length) duplicatesByBody.set(parsed.value, { yaml: parsed.duplicates });
    return parsed.value;
  }
  return undefined;
}
