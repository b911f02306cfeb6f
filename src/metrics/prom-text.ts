// A reader for the Prometheus text exposition format, enough for a kubelet's
// /metrics/resource: samples with labels, values (including NaN/±Inf) and optional
// millisecond timestamps; comments and unknown lines are skipped.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestampMs?: number;
}

function parseValue(v: string): number {
  if (v === '+Inf' || v === 'Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(v);
}

/** Parses the `{a="b",…}` that starts at text[i] (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') return undefined;
    const key = line.slice(i, eq).trim();
    let j = eq + 2;
    let val = '';
    // Most values hold no escapes: one slice instead of a character at a time.
    const close = line.indexOf('"', j);
    if (close >= 0 && line.lastIndexOf('\\', close) < j) {
      labels[key] = line.slice(j, close);
      i = close + 1;
      continue;
    }
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        const n = line[++j];
        val += n === 'n' ? '\n' : (n ?? '');
      } else val += line[j];
    }
    if (j >= line.length) return undefined;
    labels[key] = val;
    i = j + 1;
  }
}

export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
    const name = line.slice(0, i);
    let labels: Record<string, string> = {};
    if (line[i] === '{') {
      const l = parseLabels(line, i);
      if (!l) continue;
      labels = l.labels;
      i = l.end;
    }
    const [v, ts] = line.slice(i).trim().split(/\s+/);
    if (!name || v === undefined) continue;
    const value = parseValue(v);
    if (Number.isNaN(value) && v !== 'NaN') continue;
    const sample: PromSample = { name, labels, value };
    if (ts !== undefined && /^-?\d+$/.test(ts)) sample.timestampMs = Number(ts);
    out.push(sample);
  }
  return out;
}
