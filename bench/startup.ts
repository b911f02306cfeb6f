// bench/startup: `skiff server` started on a data dir holding 200,000 objects (100,000
// ConfigMaps and 100,000 Pods, seeded straight through the store API), three times.
// Figures: process spawn to the ready line, to the first `/readyz` 200 seen by a poller, and
// to the first successful `kubectl get` of one seeded object; with the load average, since the
// machine is shared.
import { cpSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../test/helpers/server.js';
import { seedStore } from '../test/helpers/seed-store.js';
import { LoadClient } from './lib/http.js';
import { report, type Row } from './lib/report.js';

const CONFIGMAPS = Number(process.env.STARTUP_CONFIGMAPS ?? 100_000);
const PODS = Number(process.env.STARTUP_PODS ?? 100_000);
const RUNS = 3;

async function main(): Promise<void> {
  // A first start writes the PKI, the kubeconfig and the system namespaces; then the seed.
  // STARTUP_SEEDED_DIR: a data dir seeded before (copied, never changed), to skip the seeding.
  let s: TestServer | undefined;
  let dataDir: string;
  if (process.env.STARTUP_SEEDED_DIR) {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-startup-'));
    cpSync(process.env.STARTUP_SEEDED_DIR, dataDir, { recursive: true });
  } else {
    s = await startServer();
    dataDir = s.dataDir;
    await s.stop();
    const t = performance.now();
    const revision = await seedStore(dataDir, { configMaps: CONFIGMAPS, pods: PODS });
    console.log(`seeded ${CONFIGMAPS + PODS} objects (revision ${revision}) in ${((performance.now() - t) / 1000).toFixed(1)}s`);
  }
  const rows: Row[] = [];
  const runs: Record<string, number | string>[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const load = loadavg()[0]!.toFixed(1);
      const t0 = performance.now();
      s = await startServer({ dataDir, timeoutMs: 120_000 });
      const readyLine = (performance.now() - t0) / 1000;
      const c = LoadClient.fromKubeconfig(s.kubeconfig, 1);
      let readyz = NaN;
      for (let i = 0; i < 600; i++) {
        const r = await c.request('GET', '/readyz').catch(() => ({ status: 0 }));
        if (r.status === 200) {
          readyz = (performance.now() - t0) / 1000;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      c.close();
      const g = await s.kubectl(['get', 'configmap', 'cm-7', '-n', 'seed-7', '-o', 'name'], { timeoutMs: 60_000 });
      const kubectlGet = (performance.now() - t0) / 1000;
      if (g.code !== 0) throw new Error(`kubectl get failed: ${g.stderr}`);
      runs.push({ run, load, readyLine, readyz, kubectlGet });
      rows.push({ figure: `startup_200k_run${run}_ready_line`, value: readyLine, unit: 's', target: '<= 10', ok: readyLine <= 10, note: `load ${load}` });
      rows.push({ figure: `startup_200k_run${run}_readyz_200`, value: readyz, unit: 's', target: '<= 10', ok: readyz <= 10 });
      rows.push({ figure: `startup_200k_run${run}_kubectl_get_done`, value: kubectlGet, unit: 's', note: 'includes kubectl start (~0.3 s)' });
      await s.stop();
      s = undefined;
    }
  } finally {
    await s?.stop();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
  report('startup', rows, { objects: CONFIGMAPS + PODS, runs });
}

await main();
