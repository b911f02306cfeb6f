// Time as the Kubernetes API writes it. metav1.Time is RFC 3339 with whole seconds in UTC
// ("2024-01-02T03:04:05Z"); container logs use RFC3339Nano.

// Writers stamp many objects within one second: the last second's text is kept.
let lastSecond = Number.NaN;
let lastText = '';

/** metav1.Time's wire form for a moment in ms since the epoch (default now): fractions of a second dropped. */
export function formatTime(ms: number = Date.now()): string {
  const sec = Math.floor(ms / 1000);
  if (sec === lastSecond) return lastText;
  const iso = new Date(ms).toISOString();
  // "YYYY-MM-DDTHH:MM:SS.sssZ" for years 0–9999; other years keep the general form.
  const text = iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d+Z$/, 'Z');
  lastSecond = sec;
  lastText = text;
  return text;
}

/** metav1.MicroTime's wire form (Lease renewTime, events.k8s.io eventTime): RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const TIME_NS_RE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 with up to nanosecond fractions → nanoseconds since the epoch. */
export function parseTimeNs(time: string): bigint | undefined {
  const m = TIME_NS_RE.exec(time);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0') || '0');
  return BigInt(ms) * 1_000_000n + frac;
}

/** Go's RFC3339Nano output: UTC with trailing zeros of the fraction dropped, as kubectl shows. */
export function formatTimeNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}
