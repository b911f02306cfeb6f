// bench/hpa: one sync pass of the HorizontalPodAutoscaler controller over 1,000 HPAs (each
// on its own Deployment with 2 pods), in process against a real API server over a memory
// store. Pod usage comes from an in-memory table that stands in for metrics.k8s.io, so the
// figure is the controller's own work: /scale reads and writes, pod listing from the
// cache, the calculator, status writes. Every loop is bounded in count and time.
import { loadavg } from 'node:os';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../src/api/builtin.js';
import { Client } from '../src/client/client.js';
import { ClientEventRecorder } from '../src/client/event-recorder.js';
import { SharedInformerFactory } from '../src/client/informer-factory.js';
import { resources } from '../src/client/resources.js';
import type { ControllerContext } from '../src/controllers/lib/context.js';
import { HPAController } from '../src/controllers/podautoscaler/controller.js';
import type { PodMetricsInfo, ResourceMetricsClient } from '../src/controllers/podautoscaler/metrics-client.js';
import type { Logger } from '../src/util/log.js';
import { TestApi } from '../test/apiserver/setup.js';
import { report, type Row } from './lib/report.js';

const HPAS = Math.max(1, Math.round(1000 * Number(process.env.HPA_BENCH_SCALE ?? 1)));
const PODS_PER = 2;
const quiet: Logger = { info() {}, warn() {}, error: (m, f) => console.error(m, f), child: () => quiet };
const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Usage per pod (millicores), read as the metrics API would report it. */
class TableMetrics implements ResourceMetricsClient {
  usage = new Map<string, number>();
  async getResourceMetric(_r: string, _ns: string, selector: string, _c: string) {
    const app = selector.replace(/^app=/, '');
    const metrics: PodMetricsInfo = new Map();
    for (let j = 0; j < PODS_PER; j++) {
      const name = `${app}-${j}`;
      metrics.set(name, { timestamp: Date.now() - 1000, windowMs: 15_000, value: this.usage.get(name) ?? 100 });
    }
    return { metrics, timestamp: Date.now() - 1000 };
  }
}

/** CPU seconds this process has used (user + system). */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Counts finished reconciles; `until(n)` resolves once the count reaches n (no polling: polling would burn the CPU being measured). */
class Counter {
  n = 0;
  private waiters: { at: number; resolve: () => void }[] = [];
  bump(): void {
    this.n++;
    const due = this.waiters.filter((w) => w.at <= this.n);
    if (!due.length) return;
    this.waiters = this.waiters.filter((w) => w.at > this.n);
    for (const w of due) w.resolve();
  }
  until(at: number, timeoutMs: number): Promise<void> {
    if (this.n >= at) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pass did not finish in ${timeoutMs} ms: ${this.n}/${at} reconciles`)), timeoutMs);
      this.waiters.push({
        at,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

interface Pass {
  wallS: number;
  cpuS: number;
  load: number;
}

/** Runs one full pass (every HPA reconciled once): its wall time, this process's CPU seconds, the 1-minute load average after it. */
async function pass(c: HPAController, keys: string[], counter: Counter): Promise<Pass> {
  const c0 = cpu();
  const t0 = performance.now();
  const done = counter.until(counter.n + keys.length, 120_000);
  for (const k of keys) c.queue.add(k);
  await done;
  return { wallS: (performance.now() - t0) / 1000, cpuS: cpu() - c0, load: loadavg()[0]! };
}

async function main(): Promise<void> {
  const api = await TestApi.start('memory');
  const client = new Client(api.api.transport());
  const informers = new SharedInformerFactory(client);
  const ctx: ControllerContext = {
    client,
    informers,
    registry: builtinRegistry(),
    log: quiet,
    now: Date.now,
    recorder: (name) => new ClientEventRecorder(client, name, quiet, '', Date.now),
    namespacedResources: () => [],
  };
  await client.namespaces.create({ metadata: { name: 'bench' } });
  const container = { name: 'app', image: 'x', resources: { requests: { cpu: '100m' } } };
  const podInformer = informers.informerFor(resources.pods);
  const metrics = new TableMetrics();
  const counter = new Counter();
  // A very long sync period: the bench triggers passes itself.
  const c = new (class extends HPAController {
    override async reconcile(key: string): Promise<void> {
      await super.reconcile(key);
      counter.bump();
    }
  })(ctx, { metrics, syncPeriodMs: 3_600_000 });
  const t0 = performance.now();
  const keys: string[] = [];
  for (let i = 0; i < HPAS; i++) {
    const name = `app-${i}`;
    await client.deployments.create({
      metadata: { name, namespace: 'bench' },
      spec: {
        replicas: PODS_PER,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [container] } },
      },
    } as Deployment);
    for (let j = 0; j < PODS_PER; j++) {
      const p = await client.pods.create({
        metadata: { name: `${name}-${j}`, namespace: 'bench', labels: { app: name } },
        spec: { containers: [container] },
      } as Pod);
      await client.pods.updateStatus({
        ...p,
        status: { phase: 'Running', startTime: ago(600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(590_000) }] },
      });
    }
    keys.push(`bench/${name}`);
  }
  console.error(`created ${HPAS} deployments and ${HPAS * PODS_PER} pods in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  informers.start();
  await informers.waitForSync();
  void c.run();
  // Steady usage at the target: the first pass writes status only.
  for (let i = 0; i < HPAS; i++) {
    await client.resource(resources.horizontalPodAutoscalers).create({
      metadata: { name: `app-${i}`, namespace: 'bench' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `app-${i}` },
        minReplicas: 1,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 100 } } }],
      },
    } as any);
  }
  // The informer's add events queue every HPA: wait for that first pass.
  await counter.until(HPAS, 120_000);
  const rows: Row[] = [];
  // The median of three passes: the machine is shared, single passes are noisy.
  const passes: Pass[] = [];
  for (let i = 0; i < 3; i++) passes.push(await pass(c, keys, counter));
  const median = (f: (p: Pass) => number) => passes.map(f).sort((a, b) => a - b)[1]!;
  const steady = median((p) => p.wallS);
  rows.push({
    figure: 'sync_1000_hpas_steady',
    value: steady,
    unit: 's',
    target: '≤ 1 s',
    ok: steady <= 1,
    note: `${HPAS} HPAs, usage at target: /scale read, metrics, status unchanged (median of 3)`,
  });
  rows.push({
    figure: 'sync_1000_hpas_steady_cpu',
    value: median((p) => p.cpuS),
    unit: 's',
    note: 'CPU seconds of that pass (controller and in-process API server together)',
  });
  // Usage doubles everywhere: every HPA rescales 2 → 4 and writes scale, status and an Event.
  for (const p of podInformer.store.list()) metrics.usage.set(p.metadata!.name!, 200);
  const rescale = await pass(c, keys, counter);
  rows.push({
    figure: 'sync_1000_hpas_rescaling',
    value: rescale.wallS,
    unit: 's',
    target: '≤ 1 s',
    ok: rescale.wallS <= 1,
    note: 'every HPA scales 2 → 4 at once: 3 writes each (scale, status, Event)',
  });
  rows.push({ figure: 'sync_1000_hpas_rescaling_cpu', value: rescale.cpuS, unit: 's', note: 'CPU seconds of that pass' });
  const loads = [...passes, rescale].map((p) => p.load);
  rows.push({ figure: 'loadavg_1m_max', value: Math.max(...loads), unit: 'load', note: 'the machine is shared: wall time follows it, CPU time much less' });
  c.stop();
  informers.stop();
  await api.close();
  report('hpa', rows, { hpas: HPAS, podsPerTarget: PODS_PER, loadavg1m: { min: Math.min(...loads), max: Math.max(...loads) } });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
