// Store micro benchmark: the cost of single operations from one caller, for each backend.
// Prints a table and writes bench/results/store.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryStore } from '../src/storage/memory.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { EtcdStore } from '../src/storage/etcd.js';
import type { Store } from '../src/storage/store.js';
import { etcdAvailable, startEtcd } from './lib/etcd.js';

// Which backends to measure: SKIFF_BENCH_STORES=memory,sqlite,etcd (default: all; etcd when installed).
const ALL_BACKENDS = ['memory', 'sqlite', 'etcd', 'etcd-watched'];
const chosen = (process.env.SKIFF_BENCH_STORES ?? ALL_BACKENDS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const b of chosen)
  if (!ALL_BACKENDS.includes(b)) throw new Error(`SKIFF_BENCH_STORES: unknown backend ${JSON.stringify(b)} (known: ${ALL_BACKENDS.join(', ')})`);

const KEYS = 10_000;
const LISTS = 30;
const PREFIX = '/registry/configmaps/';

interface Figure {
  perS: number;
  p50us: number;
  p99us: number;
}

/** Times `ops` calls one after another, as a single caller would make them. */
async function measure(ops: number, op: (i: number) => Promise<unknown>): Promise<Figure> {
  const lat = new Float64Array(ops);
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    await op(i);
    lat[i] = performance.now() - t;
  }
  const total = performance.now() - start;
  lat.sort();
  const pct = (p: number) => lat[Math.min(ops - 1, Math.floor(ops * p))]! * 1000;
  return { perS: (ops / total) * 1000, p50us: pct(0.5), p99us: pct(0.99) };
}

// A configmap of about 500 bytes, like a small real object.
function value(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `cm-${i}`, namespace: `ns-${i % 20}`, uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, labels: { app: 'bench' } },
    data: { payload: 'x'.repeat(330) },
  });
}

const keyOf = (i: number) => `${PREFIX}ns-${i % 20}/cm-${String(i).padStart(6, '0')}`;

async function run(store: Store): Promise<Record<string, Figure>> {
  const out: Record<string, Figure> = {};
  const revs = new Array<number>(KEYS);
  out.create = await measure(KEYS, async (i) => (revs[i] = await store.create(keyOf(i), value(i))));
  // A fixed pseudo-random order, so both backends read the same keys.
  let seed = 12345;
  const order = Array.from({ length: KEYS }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % KEYS);
  out.get = await measure(KEYS, (i) => store.get(keyOf(order[i]!)));
  out.update = await measure(KEYS, async (i) => {
    const k = order[i]!;
    revs[k] = await store.update(keyOf(k), value(k + i), revs[k]!);
  });
  out.list10k = await measure(LISTS, async () => {
    const r = await store.list(PREFIX);
    if (r.items.length !== KEYS) throw new Error(`list returned ${r.items.length} items`);
  });
  return out;
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'skiff-bench-store-'));
  const results: Record<string, Record<string, Figure>> = {};
  try {
    if (chosen.includes('memory')) {
      const mem = new MemoryStore();
      results.memory = await run(mem);
      await mem.close();
    }
    if (chosen.includes('sqlite')) {
      const sqlite = SqliteStore.open(join(tmp, 'bench.sqlite'), { compactEvery: 0 });
      results.sqlite = await run(sqlite);
      await sqlite.close();
    }
    for (const backend of chosen.filter((b) => b.startsWith('etcd'))) {
      if (!etcdAvailable()) {
        console.log(`${backend}: skipped, etcd is not installed (Debian etcd-server)`);
        continue;
      }
      // A fresh etcd each, on loopback. "etcd-watched" keeps one watch on /registry/ open,
      // as the apiserver's watch cache does: then each write also waits for its event.
      const etcd = await startEtcd();
      try {
        const store = await EtcdStore.connect({ endpoints: [etcd.url] });
        let events = 0;
        if (backend === 'etcd-watched') store.watch('/registry/', await store.currentRevision(), () => void events++);
        results[backend] = await run(store);
        if (backend === 'etcd-watched' && events !== KEYS * 2) throw new Error(`the watch saw ${events} events, not ${KEYS * 2}`);
        await store.close();
      } finally {
        await etcd.stop();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const json: Record<string, number> = {};
  const rows: string[][] = [['backend', 'operation', 'ops/s', 'p50 µs', 'p99 µs']];
  for (const [backend, figs] of Object.entries(results)) {
    for (const [op, f] of Object.entries(figs)) {
      json[`${backend}_${op}_per_s`] = Math.round(f.perS);
      json[`${backend}_${op}_p50_us`] = Math.round(f.p50us * 10) / 10;
      json[`${backend}_${op}_p99_us`] = Math.round(f.p99us * 10) / 10;
      rows.push([backend, op, Math.round(f.perS).toLocaleString('en-US'), f.p50us.toFixed(1), f.p99us.toFixed(1)]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`store benchmark: ${KEYS} keys of ~${value(0).length} bytes; list10k = one list of all ${KEYS} keys`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`);
  for (const r of rows) console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));

  const outDir = join(repoRoot(), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  // Backends not measured this time keep their figures from the last run that measured them.
  const file = join(outDir, 'store.json');
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
  const measured = Object.keys(results);
  const kept = Object.fromEntries(Object.entries(previous).filter(([k]) => !measured.some((b) => k.startsWith(`${b}_`))));
  writeFileSync(file, `${JSON.stringify({ ...kept, ...json }, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

await main();
