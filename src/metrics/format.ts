// Figures written as metrics-server writes them: CPU as a decimal quantity from nanocores
// ("250m", "1234567n"), memory as a binary one from bytes ("64Mi", "1000").

export function cpuQuantity(nanoCores: number): string {
  const n = Math.max(0, Math.round(nanoCores));
  if (n % 1e9 === 0) return String(n / 1e9);
  if (n % 1e6 === 0) return `${n / 1e6}m`;
  if (n % 1e3 === 0) return `${n / 1e3}u`;
  return `${n}n`;
}

export function memoryQuantity(bytes: number): string {
  let n = Math.max(0, Math.round(bytes));
  if (n === 0) return '0';
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];
  let i = 0;
  while (i < suffixes.length - 1 && n % 1024 === 0) {
    n /= 1024;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function rfc3339(ms: number): string {
  // A list writes thousands of items stamped with a handful of seconds (the request's own,
  // each node's scrape), interleaved: a few recent ones are kept, not just the last.
  const sec = Math.floor(ms / 1000);
  let text = recentSeconds.get(sec);
  if (text === undefined) {
    if (recentSeconds.size >= RECENT_LIMIT) recentSeconds.clear();
    text = `${new Date(sec * 1000).toISOString().slice(0, 19)}Z`;
    recentSeconds.set(sec, text);
  }
  return text;
}
const RECENT_LIMIT = 256;
const recentSeconds = new Map<number, string>();
