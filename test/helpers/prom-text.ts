// A strict reader of Prometheus' text exposition format (version 0.0.4): it throws on
// anything a Prometheus server would refuse (bad names, unquoted or badly escaped label
// values, values that are not floats, a family's samples split up or declared twice,
// series given twice, histogram buckets that are not cumulative or disagree with _count).
import http from 'node:http';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class PromParseError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

function parseValue(s: string, line: number): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new PromParseError(line, `not a float: ${JSON.stringify(s)}`);
  return Number(s);
}

/** Reads `name{a="b",…} value [timestamp]`. */
function parseSample(text: string, line: number): Sample {
  let i = 0;
  while (i < text.length && /[a-zA-Z0-9_:]/.test(text[i]!)) i++;
  const name = text.slice(0, i);
  if (!METRIC_NAME.test(name)) throw new PromParseError(line, `bad metric name in ${JSON.stringify(text)}`);
  const labels: Record<string, string> = {};
  if (text[i] === '{') {
    i++;
    while (text[i] !== '}') {
      let j = i;
      while (j < text.length && text[j] !== '=') j++;
      const label = text.slice(i, j);
      if (!LABEL_NAME.test(label)) throw new PromParseError(line, `bad label name ${JSON.stringify(label)}`);
      if (label in labels) throw new PromParseError(line, `label ${label} given twice`);
      if (text[j + 1] !== '"') throw new PromParseError(line, `label ${label}: value not quoted`);
      let k = j + 2;
      let value = '';
      for (;;) {
        const c = text[k];
        if (c === undefined) throw new PromParseError(line, `label ${label}: unterminated value`);
        if (c === '"') break;
        if (c === '\\') {
          const e = text[k + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new PromParseError(line, `label ${label}: bad escape \\${e ?? ''}`);
          k += 2;
          continue;
        }
        value += c;
        k++;
      }
      labels[label] = value;
      i = k + 1;
      if (text[i] === ',') i++;
      else if (text[i] !== '}') throw new PromParseError(line, `expected , or } after label ${label}`);
    }
    i++;
  }
  if (text[i] !== ' ') throw new PromParseError(line, `expected a space before the value in ${JSON.stringify(text)}`);
  const rest = text.slice(i + 1).split(' ');
  if (rest.length < 1 || rest.length > 2 || rest.some((r) => r === '')) throw new PromParseError(line, `expected value [timestamp] in ${JSON.stringify(text)}`);
  if (rest[1] !== undefined && !/^-?\d+$/.test(rest[1])) throw new PromParseError(line, `bad timestamp ${rest[1]}`);
  return { name, labels, value: parseValue(rest[0]!, line) };
}

/** The family a sample name belongs to, given the declared families. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const f = families.get(name);
  if (f) return f;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base && (base.type === 'histogram' || (base.type === 'summary' && suffix !== '_bucket'))) return base;
  }
  return undefined;
}

const seriesKey = (s: Sample) =>
  `${s.name}{${Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',')}}`;

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: { le: number; v: number }[]; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { buckets: [] }));
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      g.buckets.push({ le: parseValue(le, 0), v: s.value });
    } else if (s.name.endsWith('_count')) g.count = s.value;
  }
  for (const [key, g] of groups) {
    const sorted = [...g.buckets].sort((a, b) => a.le - b.le);
    if (sorted.at(-1)?.le !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++) if (sorted[i]!.v < sorted[i - 1]!.v) throw new Error(`${f.name}${key}: buckets not cumulative`);
    if (g.count === undefined || g.count !== sorted.at(-1)!.v) throw new Error(`${f.name}${key}: _count ${g.count} differs from the +Inf bucket`);
  }
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  let current: Family | undefined;
  const closed = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else throw new PromParseError(lines.length, 'the text must end with a newline');
  const declare = (name: string, n: number): Family => {
    if (!METRIC_NAME.test(name)) throw new PromParseError(n, `bad metric name ${JSON.stringify(name)}`);
    let f = families.get(name);
    if (f && closed.has(name)) throw new PromParseError(n, `${name} declared again after its samples`);
    if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }));
    if (current && current !== f) closed.add(current.name);
    current = f;
    return f;
  };
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // a plain comment
      const f = declare(m[2]!, n);
      if (m[1] === 'HELP') {
        if (f.help !== undefined) throw new PromParseError(n, `second HELP for ${f.name}`);
        f.help = m[3] ?? '';
      } else {
        if (!TYPES.has(m[3] ?? '')) throw new PromParseError(n, `unknown type ${JSON.stringify(m[3])}`);
        if (f.samples.length || (f as { typed?: boolean }).typed) throw new PromParseError(n, `TYPE of ${f.name} after its samples or given twice`);
        f.type = m[3] as Family['type'];
        (f as { typed?: boolean }).typed = true;
      }
      return;
    }
    const s = parseSample(raw, n);
    let f = familyOf(s.name, families);
    if (!f) f = declare(s.name, n);
    else if (f !== current) {
      if (closed.has(f.name)) throw new PromParseError(n, `samples of ${f.name} are not together`);
      declare(f.name, n);
    }
    if (f.type === 'histogram' && !/_(bucket|sum|count)$/.test(s.name)) throw new PromParseError(n, `histogram ${f.name} has a plain sample ${s.name}`);
    const key = seriesKey(s);
    if (seen.has(key)) throw new PromParseError(n, `series ${key} given twice`);
    seen.add(key);
    f.samples.push(s);
  });
  for (const f of families.values()) {
    delete (f as { typed?: boolean }).typed;
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

/** The samples of `family` (or of its _bucket/_sum/_count series) whose labels include `match`. */
export function samples(families: Map<string, Family>, name: string, match: Record<string, string> = {}): Sample[] {
  const f = familyOf(name, families);
  if (!f) return [];
  return f.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** The sum of the values of the matching samples (0 when there are none). */
export function total(families: Map<string, Family>, name: string, match: Record<string, string> = {}): number {
  return samples(families, name, match).reduce((a, s) => a + s.value, 0);
}

/** A component's /metrics page on loopback, as text. */
export function scrapeText(port: number, path = '/metrics'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
}
