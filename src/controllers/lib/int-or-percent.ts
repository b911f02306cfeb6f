// Int-or-percent fields (maxSurge, maxUnavailable, minAvailable) against a total, as
// intstr.GetScaledValueFromIntOrPercent computes them.

/** `v` as a count of `total`, a percentage rounded up or down as asked; `dflt` when unset. */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean, dflt = 0): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}
