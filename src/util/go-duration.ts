// Go's time.Duration text form, which Kubernetes uses wherever a metav1.Duration is JSON
// ("15.002s", "1m0s", "500ms", "1h2m3s"): parsed and written exactly as Go's
// time.ParseDuration and Duration.String do, in nanoseconds.

const UNIT_NANOS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const TERM = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;

/** Nanoseconds of a Go duration string such as "1h2m3.5s" or "-1.5ms"; throws on anything Go would reject. */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  while (rest.length > 0) {
    const m = TERM.exec(rest);
    // Go needs a digit on one side of the point and a unit after every number.
    if (!m || (m[1] === '' && !m[2])) throw new Error(`invalid duration ${JSON.stringify(text)}`);
    const unit = UNIT_NANOS[m[3]!]!;
    total += Number(m[1] || '0') * unit + (m[2] ? Math.round(Number(`0.${m[2]}`) * unit) : 0);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Fraction digits of `v / unit` with trailing zeros dropped ("" when none), as Go's fmtFrac. */
function fraction(v: number, unit: number): string {
  const digits = String(v % unit).padStart(String(unit).length - 1, '0');
  const trimmed = digits.replace(/0+$/, '');
  return trimmed ? `.${trimmed}` : '';
}

/** Go's Duration.String() of a whole number of nanoseconds. */
export function formatGoDuration(nanos: number): string {
  const n = Math.round(Math.abs(nanos));
  const sign = nanos < 0 && n > 0 ? '-' : '';
  if (n === 0) return '0s';
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${Math.floor(n / 1e3)}${fraction(n, 1e3)}µs`;
  if (n < 1e9) return `${sign}${Math.floor(n / 1e6)}${fraction(n, 1e6)}ms`;
  const seconds = Math.floor(n / 1e9);
  const sec = `${seconds % 60}${fraction(n, 1e9)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 0) return `${sign}${sec}`;
  const hours = Math.floor(minutes / 60);
  return hours === 0 ? `${sign}${minutes}m${sec}` : `${sign}${hours}h${minutes % 60}m${sec}`;
}
