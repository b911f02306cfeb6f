// Milli-unit counts written back as Kubernetes quantities (DecimalSI canonical form),
// as resource.NewMilliQuantity(v, DecimalSI).String() does.
import { milliValue } from '../../api/core/resources.js';

const SUFFIXES: Array<[number, string]> = [
  [18, 'E'],
  [15, 'P'],
  [12, 'T'],
  [9, 'G'],
  [6, 'M'],
  [3, 'k'],
];

export function formatMilli(milli: number): string {
  const m = Math.trunc(milli);
  if (m % 1000 !== 0) return `${m}m`;
  const whole = m / 1000;
  if (whole === 0) return '0';
  for (const [exp, suffix] of SUFFIXES) {
    const unit = 10 ** exp;
    if (whole % unit === 0) return `${whole / unit}${suffix}`;
  }
  return String(whole);
}

/** A quantity in milli-units (rounded up), as Quantity.MilliValue(). */
export function toMilli(q: unknown): number {
  return milliValue(q);
}
