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

/** Calls `visit` for each sample of `text`, in order, without building a list: a scrape cycle reads thousands of lines. */
export function eachPromSample(
  text: string,
  visit: (name: string, labels: Record<string, string>, value: number, timestampMs: number | undefined) => void,
): void {
  const n = text.length;
  // A series' labels repeat on several lines (one per metric of a container): parsed once
  // per text, and the same object handed out again.
  const seen = new Map<string, Record<string, string>>();
  let pos = 0;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    let i = pos;
    pos = end + 1;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    let e = end;
    while (e > i && isBlank(text.charCodeAt(e - 1))) e--;
    if (i >= e || text.charCodeAt(i) === 0x23 /* # */) continue;
    let j = i;
    for (let c = text.charCodeAt(j); j < e && c !== 0x7b /* { */ && c !== 0x20 && c !== 0x09; c = text.charCodeAt(++j));
    const name = text.slice(i, j);
    let labels = NO_LABELS;
    if (text.charCodeAt(j) === 0x7b && j < e) {
      const close = labelsEnd(text, j, e);
      const raw = close < 0 ? undefined : text.slice(j, close);
      const known = raw === undefined ? undefined : seen.get(raw);
      if (known) {
        labels = known;
        j = close;
      } else {
        const line = text.slice(j, e);
        const l = parseLabels(line, 0);
        if (!l) continue;
        labels = l.labels;
        if (raw !== undefined && j + l.end === close) seen.set(raw, labels);
        j += l.end;
      }
    }
    // The value, then an optional timestamp, each a word of its own.
    while (j < e && isBlank(text.charCodeAt(j))) j++;
    let k = j;
    while (k < e && !isBlank(text.charCodeAt(k))) k++;
    if (!name || j >= e) continue;
    const v = text.slice(j, k);
    const value = parseValue(v);
    if (Number.isNaN(value) && v !== 'NaN') continue;
    while (k < e && isBlank(text.charCodeAt(k))) k++;
    let t = k;
    while (t < e && !isBlank(text.charCodeAt(t))) t++;
    const ts = t > k ? text.slice(k, t) : undefined;
    visit(name, labels, value, ts !== undefined && INTEGER.test(ts) ? Number(ts) : undefined);
  }
}

const INTEGER = /^-?\d+$/;
const isBlank = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d;
// Handed to every sample without labels; callers only read labels.
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The index after the `}` closing the labels that open at text[start], skipping quoted values; -1 when there is none before `end`. */
function labelsEnd(text: string, start: number, end: number): number {
  let quoted = false;
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x7d) return i + 1;
  }
  return -1;
}

export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  eachPromSample(text, (name, labels, value, timestampMs) => {
    const sample: PromSample = { name, labels: { ...labels }, value };
    if (timestampMs !== undefined) sample.timestampMs = timestampMs;
    out.push(sample);
  });
  return out;
}
