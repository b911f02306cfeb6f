// Shared benchmark plumbing: percentiles, a printed table, and the JSON results file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN, n: s.length };
}

export interface Row {
  figure: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
  note?: string;
}

export function machine(): Record<string, unknown> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
  };
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Prints the rows as a table and writes bench/results/<name>.json with figure names (unit-suffixed) as keys. */
export function report(name: string, rows: Row[], extra: Record<string, unknown> = {}): void {
  const w = Math.max(...rows.map((r) => r.figure.length), 6);
  console.log(`\n${name} — ${machine().cpus} cores, ${machine().cpuModel}, Node ${process.version}`);
  console.log(`${'figure'.padEnd(w)}  ${'value'.padStart(10)}  unit       target        ok`);
  for (const r of rows)
    console.log(
      `${r.figure.padEnd(w)}  ${fmt(r.value).padStart(10)}  ${r.unit.padEnd(9)}  ${(r.target ?? '').padEnd(12)}  ${r.ok === undefined ? '' : r.ok ? 'yes' : 'NO'}${r.note ? `  ${r.note}` : ''}`,
    );
  const out: Record<string, unknown> = { machine: machine(), date: new Date().toISOString(), ...extra };
  for (const r of rows) out[`${r.figure}_${r.unit.replace(/[^a-zA-Z0-9]+/g, '_')}`] = Number.isFinite(r.value) ? Number(r.value.toFixed(3)) : null;
  const dir = resolve(new URL('../../../bench/results', import.meta.url).pathname);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${join(dir, `${name}.json`)}`);
}
