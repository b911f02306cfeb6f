// The metrics pipeline without a server: simulated usage written as the kubelet's
// resource metrics text, read back, turned into rates, and served as metrics.k8s.io
// objects; a hung node cut off by its deadline without holding up the cycle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { resourceMetricsText, SimulatedStats } from '../../src/kubelet/stats/index.js';
import { MetricsApi } from '../../src/metrics/api.js';
import { cpuQuantity, memoryQuantity } from '../../src/metrics/format.js';
import { decodeResourceMetrics } from '../../src/metrics/points.js';
import { parsePromText } from '../../src/metrics/prom-text.js';
import { Scraper } from '../../src/metrics/scraper.js';
import { UsageStore } from '../../src/metrics/usage-store.js';
import type { Logger } from '../../src/util/log.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, child: () => quiet };
const START = Date.parse('2026-01-01T00:00:00Z');

function pod(name: string, annotations: Record<string, string>, containers = ['c'], labels: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations, labels },
    spec: { containers: containers.map((c) => ({ name: c, image: 'x' })) },
    status: {
      phase: 'Running',
      startTime: new Date(START).toISOString(),
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: true,
        restartCount: 0,
        image: 'x',
        imageID: '',
        state: { running: { startedAt: new Date(START).toISOString() } },
      })),
    },
  };
}

test('prometheus text: labels with escapes, timestamps, comments and special values', () => {
  const s = parsePromText(
    ['# HELP x y', 'a_total{pod="p\\"q",ns="a\\\\b",c="line\\nbreak"} 1.5 1700000000123', 'b 2', 'c{} +Inf', 'broken{x="y} 3'].join('\n'),
  );
  assert.deepEqual(s, [
    { name: 'a_total', labels: { pod: 'p"q', ns: 'a\\b', c: 'line\nbreak' }, value: 1.5, timestampMs: 1700000000123 },
    { name: 'b', labels: {}, value: 2 },
    { name: 'c', labels: {}, value: Number.POSITIVE_INFINITY },
  ]);
});

test('simulated usage round-trips through /metrics/resource into exact rates, and follows a changed annotation', () => {
  let now = START + 60_000;
  const pods = [pod('web', { 'simulation.skiff.io/cpu': '500m', 'simulation.skiff.io/memory': '64Mi' }, ['a', 'b'])];
  const stats = new SimulatedStats(
    'n1',
    () => pods,
    () => now,
  );
  const store = new UsageStore();
  store.record('n1', decodeResourceMetrics(resourceMetricsText(stats.summaryNow()), now));
  assert.equal(store.pod('default', 'web'), undefined, 'one reading is not a rate');
  now += 10_000;
  store.record('n1', decodeResourceMetrics(resourceMetricsText(stats.summaryNow()), now));
  const u = store.pod('default', 'web')!;
  assert.deepEqual(
    u.containers.map((c) => [c.name, c.usage.cpuNanoCores, c.usage.memoryBytes, c.usage.windowMs]),
    [
      ['a', 250_000_000, 32 * 1024 * 1024, 10_000],
      ['b', 250_000_000, 32 * 1024 * 1024, 10_000],
    ],
  );
  assert.equal(store.node('n1')?.cpuNanoCores, 500_000_000);
  // A per-container annotation wins over the pod's share; the next scrape shows it.
  pods[0] = pod('web', { 'simulation.skiff.io/cpu': '500m', 'simulation.skiff.io/cpu.b': '2', 'simulation.skiff.io/memory.a': '1Gi' }, ['a', 'b']);
  now += 5_000;
  store.record('n1', decodeResourceMetrics(resourceMetricsText(stats.summaryNow()), now));
  assert.deepEqual(
    store.pod('default', 'web')!.containers.map((c) => [c.name, c.usage.cpuNanoCores, c.usage.memoryBytes]),
    [
      ['a', 250_000_000, 1024 ** 3],
      ['b', 2_000_000_000, 0],
    ],
  );
  // Nonsense is read as idle, never an error.
  pods[0] = pod('web', { 'simulation.skiff.io/cpu': 'lots', 'simulation.skiff.io/memory': '-5Mi' }, ['a', 'b']);
  now += 5_000;
  store.record('n1', decodeResourceMetrics(resourceMetricsText(stats.summaryNow()), now));
  assert.deepEqual(
    store.pod('default', 'web')!.containers.map((c) => c.usage.cpuNanoCores + c.usage.memoryBytes),
    [0, 0],
  );
});

test('usage store: a restarted container or a counter that went back starts over; a pod shows only with all its containers', () => {
  const store = new UsageStore();
  const scrape = (cpu: number, at: number, startedAt: number, containers = ['a']) => ({
    pods: new Map([['ns/p', new Map(containers.map((c) => [c, { cpuSeconds: cpu, cpuAt: at, memoryBytes: 100, memoryAt: at, startedAt }]))]]),
  });
  store.record('n', scrape(10, 1000, 0));
  store.record('n', scrape(11, 3000, 0));
  assert.equal(store.pod('ns', 'p')?.containers[0]?.usage.cpuNanoCores, 500_000_000);
  store.record('n', scrape(0.5, 5000, 4000));
  assert.equal(store.pod('ns', 'p'), undefined, 'restarted: no rate across the restart');
  store.record('n', scrape(1.5, 7000, 4000));
  assert.equal(store.pod('ns', 'p')?.containers[0]?.usage.cpuNanoCores, 500_000_000);
  store.record('n', scrape(1, 9000, 4000));
  assert.equal(store.pod('ns', 'p'), undefined, 'a counter that went back has no rate');
  store.record('n', scrape(2, 11000, 4000, ['a', 'b']));
  assert.equal(store.pod('ns', 'p'), undefined, 'container b has one reading only');
  store.forget('n');
  assert.deepEqual([...store.pods()], []);
});

test('usage store: pods come in storage-key order across nodes, and the order follows each scrape', () => {
  const store = new UsageStore();
  const scrape = (at: number, keys: string[]) => ({
    pods: new Map(keys.map((k) => [k, new Map([['c', { cpuSeconds: at / 1000, cpuAt: at, memoryBytes: 1, memoryAt: at }]])])),
  });
  // "ns-1" before "ns-1-a": namespace first, then name, as keys /registry/pods/<ns>/<name> sort.
  for (const at of [1000, 2000]) {
    store.record('n1', scrape(at, ['ns-1-a/b', 'ns-1/z']));
    store.record('n2', scrape(at, ['ns-1/a', 'ns-10/a']));
  }
  const order = () => [...store.pods()].map((p) => `${p.namespace}/${p.name}`);
  assert.deepEqual(order(), ['ns-1/a', 'ns-1/z', 'ns-1-a/b', 'ns-10/a']);
  assert.deepEqual(
    [...store.pods('ns-1')].map((p) => p.name),
    ['a', 'z'],
  );
  store.record('n2', scrape(3000, ['ns-1/a', 'ns-0/q']));
  store.record('n2', scrape(4000, ['ns-1/a', 'ns-0/q']));
  assert.deepEqual(order(), ['ns-0/q', 'ns-1/a', 'ns-1/z', 'ns-1-a/b']);
  store.forget('n1');
  assert.deepEqual(order(), ['ns-0/q', 'ns-1/a']);
});

test('a scrape cycle cuts off a hung node at its deadline, keeps the others, and marks it stale', async () => {
  const node = (name: string): Node => ({ metadata: { name } });
  const store = new UsageStore();
  const text = (cpu: number) => `node_cpu_usage_seconds_total ${cpu} ${Date.now()}\nnode_memory_working_set_bytes 1000 ${Date.now()}\n`;
  let cpu = 0;
  let aborted = false;
  const scraper = new Scraper({
    nodes: () => [node('good'), node('hung'), node('broken')],
    source: {
      scrape(n, signal) {
        const name = n.metadata!.name;
        if (name === 'hung') {
          signal.addEventListener('abort', () => (aborted = true));
          return new Promise(() => {});
        }
        if (name === 'broken') return Promise.reject(new Error('connection refused'));
        cpu += 1;
        return Promise.resolve(text(cpu));
      },
    },
    store,
    resolutionMs: 1000,
    timeoutMs: 150,
    log: quiet,
  });
  const r1 = await scraper.scrapeOnce();
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const r2 = await scraper.scrapeOnce();
  const took = performance.now() - t0;
  assert.ok(took < 1000, `the cycle waited ${took} ms`);
  assert.deepEqual(r1.failed.sort(), ['broken', 'hung']);
  assert.deepEqual(r2.failed.sort(), ['broken', 'hung']);
  assert.equal(r2.ok, 1);
  assert.ok(aborted, 'the hung request was aborted');
  assert.equal(scraper.states.get('hung')?.stale, true);
  assert.match(scraper.states.get('hung')?.lastError ?? '', /no answer within 150ms/);
  assert.match(scraper.states.get('broken')?.lastError ?? '', /connection refused/);
  assert.equal(scraper.states.get('good')?.stale, false);
  assert.deepEqual(store.nodeNames(), ['good']);
  assert.ok((store.node('good')?.cpuNanoCores ?? 0) > 0);
});

test('metrics.k8s.io objects: quantities and windows as metrics-server writes them; get, list, selectors, NotFound', async () => {
  assert.deepEqual([cpuQuantity(250_000_000), cpuQuantity(2e9), cpuQuantity(1_234_567), cpuQuantity(1500_000)], ['250m', '2', '1234567n', '1500u']);
  assert.deepEqual([memoryQuantity(64 * 1024 * 1024), memoryQuantity(1000), memoryQuantity(3 * 1024)], ['64Mi', '1000', '3Ki']);

  let now = START + 60_000;
  const pods = [
    pod('web', { 'simulation.skiff.io/cpu': '100m' }, ['c'], { app: 'web' }),
    pod('db', { 'simulation.skiff.io/cpu': '300m' }, ['c'], { app: 'db' }),
  ];
  const stats = new SimulatedStats(
    'n1',
    () => pods,
    () => now,
  );
  const store = new UsageStore();
  for (let i = 0; i < 2; i++, now += 15_000) store.record('n1', decodeResourceMetrics(resourceMetricsText(stats.summaryNow()), now));
  const nodes: Node[] = [{ metadata: { name: 'n1', labels: { zone: 'a' } } }];
  const api = new MetricsApi({
    store,
    node: (n) => nodes.find((x) => x.metadata?.name === n),
    nodes: () => nodes,
    pod: (ns, n) => pods.find((p) => p.metadata?.namespace === ns && p.metadata?.name === n),
    now: () => now,
  });
  const q = (s = '') => new URLSearchParams(s);
  const user = { username: 'u', groups: [] };
  const list = await api.handle({ verb: 'list', version: 'v1beta1', resource: 'pods', namespace: 'default', query: q('labelSelector=app%3Ddb'), user });
  assert.equal(list.status, 200);
  assert.equal(list.body.kind, 'PodMetricsList');
  const items = (list.body as unknown as { items: Record<string, any>[] }).items;
  assert.deepEqual(
    items.map((i) => [i.metadata.name, i.metadata.labels.app, i.window, i.containers[0].usage.cpu]),
    [['db', 'db', '15s', '300m']],
  );
  const n = await api.handle({ verb: 'get', version: 'v1beta1', resource: 'nodes', name: 'n1', query: q(), user });
  assert.equal((n.body as Record<string, any>).usage.cpu, '400m');
  assert.equal((n.body as Record<string, any>).metadata.labels.zone, 'a');
  const missing = await api.handle({ verb: 'get', version: 'v1beta1', resource: 'pods', namespace: 'default', name: 'nope', query: q(), user });
  assert.equal(missing.status, 404);
  assert.equal((missing.body as Record<string, any>).message, 'podmetrics.metrics.k8s.io "default/nope" not found');
  const bad = await api.handle({ verb: 'list', version: 'v1beta1', resource: 'nodes', query: q('labelSelector=a%20b%20c'), user });
  assert.equal(bad.status, 400);
  const write = await api.handle({ verb: 'create', version: 'v1beta1', resource: 'pods', namespace: 'default', query: q(), user });
  assert.equal(write.status, 405);
});
