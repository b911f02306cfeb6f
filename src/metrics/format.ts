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
  // A list writes thousands of items stamped within the same second or two: the last is kept.
  const sec = Math.floor(ms / 1000);
  if (sec !== last.sec) {
    last.sec = sec;
    last.text = `${new Date(ms).toISOString().slice(0, 19)}Z`;
  }
  return last.text;
}
const last = { sec: Number.NaN, text: '' };
