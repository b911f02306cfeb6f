// Scheduler throughput in one process, in the shapes of kube-scheduler's scheduler_perf:
// an in-process apiserver (memory store), the scheduler, Node objects created directly,
// pods created while the scheduler runs; pods/s from the first creation to the last bind.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { builtinRegistry } from '../src/api/builtin.js';
import { ApiServer } from '../src/apiserver/apiserver.js';
import { Client } from '../src/client/client.js';
import type { Logger } from '../src/util/log.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { MemoryStore } from '../src/storage/memory.js';
import { report, type Row } from './lib/report.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };
const scale = Number(process.env.SCHED_BENCH_SCALE ?? 1);

function makeNode(i: number): Node {
  const alloc = { cpu: '4', memory: '32Gi', pods: '110' };
  return {
    metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` } },
    status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function makePod(name: string, extra: Partial<Pod['spec']> = {}, labels: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels },
    spec: {
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
      ...extra,
    } as Pod['spec'],
  };
}

async function createAll(client: Client, pods: Pod[], inFlight = 64): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (i < pods.length) await client.pods.create(pods[i++]!);
    }),
  );
}

async function shape(name: string, nodes: number, initial: Pod[], measured: Pod[]): Promise<number> {
  const api = new ApiServer({ store: new MemoryStore(), registry: builtinRegistry(), tls: undefined as never, bindAddress: '127.0.0.1', port: 0 });
  await api.cache.start();
  await (api as unknown as { bootstrap(): Promise<void> }).bootstrap();
  const client = new Client(api.transport());
  for (let i = 0; i < nodes; i += 500) await Promise.all(Array.from({ length: Math.min(500, nodes - i) }, (_, j) => client.nodes.create(makeNode(i + j))));
  const sched = new Scheduler({ client, log: quiet });
  const running = sched.run();
  await createAll(client, initial);
  while (sched.boundCount < initial.length) await new Promise((r) => setTimeout(r, 20));
  const base = sched.boundCount;
  const t0 = performance.now();
  await createAll(client, measured);
  const deadline = Date.now() + 600_000;
  while (sched.boundCount - base < measured.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const secs = (performance.now() - t0) / 1000;
  const done = sched.boundCount - base;
  sched.stop();
  await running;
  await api.stop();
  const rate = done / secs;
  console.log(`${name}: ${done}/${measured.length} pods bound in ${secs.toFixed(2)} s → ${rate.toFixed(0)} pods/s`);
  return rate;
}

const n = (x: number) => Math.max(1, Math.round(x * scale));
const seq = (k: number, f: (i: number) => Pod) => Array.from({ length: k }, (_, i) => f(i));
const rows: Row[] = [];
// SCHED_BENCH_ONLY=Name1,Name2 runs just those shapes (for profiling) and writes no results file.
const only = process.env.SCHED_BENCH_ONLY?.split(',');
const want = (name: string) => !only || only.includes(name);

const basic = !want('SchedulingBasic')
  ? 0
  : await shape(
      'SchedulingBasic',
      n(5000),
      seq(n(1000), (i) => makePod(`init-${i}`)),
      seq(n(10000), (i) => makePod(`pod-${i}`)),
    );
rows.push({ figure: 'SchedulingBasic', value: basic, unit: 'pods/s', target: '≥ 1000', ok: basic >= 1000, note: 'kube-scheduler CI threshold 680' });

const anti = {
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { color: 'green' } } }],
  },
};
const antiRate = !want('SchedulingPodAntiAffinity')
  ? 0
  : await shape(
      'SchedulingPodAntiAffinity',
      n(5000),
      seq(n(1000), (i) => makePod(`init-${i}`)),
      seq(n(2000), (i) => makePod(`anti-${i}`, { affinity: anti }, { color: 'green' })),
    );
rows.push({
  figure: 'SchedulingPodAntiAffinity',
  value: antiRate,
  unit: 'pods/s',
  target: '≥ 120',
  ok: antiRate >= 120,
  note: 'kube-scheduler CI threshold 60',
});

const aff = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-0', 'zone-1'] }] }],
    },
  },
};
const affRate = !want('SchedulingNodeAffinity')
  ? 0
  : await shape(
      'SchedulingNodeAffinity',
      n(5000),
      [],
      seq(n(10000), (i) => makePod(`aff-${i}`, { affinity: aff })),
    );
rows.push({ figure: 'SchedulingNodeAffinity', value: affRate, unit: 'pods/s', target: '≥ 440', ok: affRate >= 440, note: 'kube-scheduler CI threshold 220' });

const spread = [
  { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } },
];
const spreadRate = !want('TopologySpreading')
  ? 0
  : await shape(
      'TopologySpreading',
      n(5000),
      [],
      seq(n(5000), (i) => makePod(`ts-${i}`, { topologySpreadConstraints: spread as never }, { app: 'spread' })),
    );
rows.push({ figure: 'TopologySpreading', value: spreadRate, unit: 'pods/s', note: 'report only' });

if (!only) report('scheduler', rows, { scale });
