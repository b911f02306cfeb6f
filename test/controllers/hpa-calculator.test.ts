// The HPA replica calculator against a fake resource metrics client: Kubernetes' ratios,
// tolerance, missing and unready pods, AverageValue and container metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodMetricsInfo, ResourceMetricsClient } from '../../src/controllers/podautoscaler/metrics-client.js';
import { ReplicaCalculator } from '../../src/controllers/podautoscaler/replica-calculator.js';
import { containerMetricsFrom, parseGoDuration, podMetricsFrom } from '../../src/controllers/podautoscaler/metrics-client.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const T = { scaleUp: 0.1, scaleDown: 0.1 };

interface PodOpts {
  phase?: string;
  ready?: boolean;
  startedAgoMs?: number;
  readySinceAgoMs?: number;
  cpu?: string | null;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const started = NOW - (o.startedAgoMs ?? 10 * 60_000);
  const resources = o.cpu === null ? {} : { requests: { cpu: o.cpu ?? '100m', memory: '64Mi' } };
  return {
    metadata: { name, namespace: 'default', labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: 'app', image: 'x', resources }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(NOW - (o.readySinceAgoMs ?? 9 * 60_000)) }],
    },
  } as Pod;
}

class FakeMetrics implements ResourceMetricsClient {
  calls: Array<{ resource: string; selector: string; container: string }> = [];
  constructor(private readonly values: Record<string, number>) {}
  async getResourceMetric(resource: string, _ns: string, selector: string, container: string) {
    this.calls.push({ resource, selector, container });
    const metrics: PodMetricsInfo = new Map();
    for (const [n, v] of Object.entries(this.values)) metrics.set(n, { timestamp: NOW - 5000, windowMs: 15_000, value: v });
    if (!metrics.size) throw new Error('no metrics returned from resource metrics API');
    return { metrics, timestamp: NOW - 5000 };
  }
}

function calc(pods: Pod[], values: Record<string, number>) {
  const metrics = new FakeMetrics(values);
  return { metrics, calc: new ReplicaCalculator({ metrics, pods: () => pods, now: () => NOW }) };
}

test('CPU at 200 % of the target doubles the replicas; within 10 % nothing changes', async () => {
  const { calc: c, metrics } = calc([pod('a'), pod('b')], { a: 100, b: 100 });
  const r = await c.getResourceReplicas(2, 50, 'cpu', T, 'default', 'app=web', '');
  assert.deepEqual({ replicas: r.replicas, utilization: r.utilization, raw: r.rawAverage }, { replicas: 4, utilization: 100, raw: 100 });
  assert.deepEqual(metrics.calls[0], { resource: 'cpu', selector: 'app=web', container: '' });
  const within = calc([pod('a'), pod('b')], { a: 54, b: 54 });
  assert.equal((await within.calc.getResourceReplicas(2, 50, 'cpu', T, 'default', 'app=web', '')).replicas, 2, '108 % of target is within tolerance');
  const beyond = calc([pod('a'), pod('b')], { a: 56, b: 56 });
  assert.equal((await beyond.calc.getResourceReplicas(2, 50, 'cpu', T, 'default', 'app=web', '')).replicas, 3, '112 % is not');
  const down = calc([pod('a'), pod('b'), pod('c'), pod('d')], { a: 10, b: 10, c: 10, d: 10 });
  assert.equal((await down.calc.getResourceReplicas(4, 50, 'cpu', T, 'default', 'app=web', '')).replicas, 1);
});

test('a container without a request for the resource is an error with Kubernetes wording', async () => {
  const { calc: c } = calc([pod('a', { cpu: null })], { a: 100 });
  await assert.rejects(c.getResourceReplicas(1, 50, 'cpu', T, 'default', 'app=web', ''), {
    message: 'missing request for cpu in container app of Pod a',
  });
});

test('no pods, no metrics: the calculator says which', async () => {
  await assert.rejects(calc([], { a: 1 }).calc.getResourceReplicas(1, 50, 'cpu', T, 'default', 'app=web', ''), {
    message: 'no pods returned by selector while calculating replica count',
  });
  await assert.rejects(calc([pod('a')], {}).calc.getResourceReplicas(1, 50, 'cpu', T, 'default', 'app=web', ''), {
    message: 'unable to get metrics for resource cpu: no metrics returned from resource metrics API',
  });
  await assert.rejects(calc([pod('a', { phase: 'Pending' })], { a: 100 }).calc.getResourceReplicas(1, 50, 'cpu', T, 'default', 'app=web', ''), {
    message: 'did not receive metrics for targeted pods (pods might be unready)',
  });
});

test('missing metrics damp a scale-down (taken as 100 % of request) and a scale-up (taken as 0)', async () => {
  // Two pods at 20 % of a 50 % target, one without a metric: 3 pods → (20+20+100)/3 = 46 % → 3 pods stay.
  const down = calc([pod('a'), pod('b'), pod('c')], { a: 20, b: 20 });
  assert.equal((await down.calc.getResourceReplicas(3, 50, 'cpu', T, 'default', '', '')).replicas, 3);
  // Two pods at 150 %, one missing counted as 0: (150+150+0)/3 = 100 % of 50 → ratio 2 → ceil(2*3) = 6.
  const up = calc([pod('a'), pod('b'), pod('c')], { a: 150, b: 150 });
  assert.equal((await up.calc.getResourceReplicas(3, 50, 'cpu', T, 'default', '', '')).replicas, 6);
  // Deleted and failed pods are ignored entirely.
  const ignored = calc([pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Failed' })], { a: 100, b: 0, c: 0 });
  assert.equal((await ignored.calc.getResourceReplicas(1, 50, 'cpu', T, 'default', '', '')).replicas, 2);
});

test('unready pods count as using nothing on a scale-up; CPU of pods still starting is not trusted', async () => {
  // a is ready at 200 %; b is pending and counted as 0: (200 + 0)/2 = 100 % of a 100 % target → keep 2.
  const c1 = calc([pod('a'), pod('b', { phase: 'Pending' })], { a: 200, b: 200 });
  assert.equal((await c1.calc.getResourceReplicas(2, 100, 'cpu', T, 'default', '', '')).replicas, 2);
  // b started a minute ago and became ready 2 s before the metric window closed: unready for CPU.
  const c2 = calc([pod('a'), pod('b', { startedAgoMs: 60_000, readySinceAgoMs: 10_000 })], { a: 300, b: 300 });
  assert.equal((await c2.calc.getResourceReplicas(2, 100, 'cpu', T, 'default', '', '')).replicas, 3, '(300+0)/2 = 150 % → ceil(1.5*2) = 3');
  // The same pod for memory is ready: both count.
  const mem = new ReplicaCalculator({
    metrics: new FakeMetrics({ a: 300, b: 300 }),
    pods: () =>
      [pod('a', { cpu: '100m' }), pod('b', { startedAgoMs: 60_000, readySinceAgoMs: 10_000 })].map((p) => {
        p.spec!.containers[0]!.resources = { requests: { memory: '100m' } };
        return p;
      }),
    now: () => NOW,
  });
  assert.equal((await mem.getResourceReplicas(2, 100, 'memory', T, 'default', '', '')).replicas, 6);
});

test('AverageValue: raw usage per pod against the target quantity', async () => {
  const { calc: c } = calc([pod('a'), pod('b')], { a: 300, b: 500 });
  const r = await c.getRawResourceReplicas(2, 200, 'cpu', T, 'default', '', '');
  assert.deepEqual({ replicas: r.replicas, usage: r.usage }, { replicas: 4, usage: 400 });
  const keep = await calc([pod('a'), pod('b')], { a: 210, b: 200 }).calc.getRawResourceReplicas(2, 200, 'cpu', T, 'default', '', '');
  assert.equal(keep.replicas, 2);
});

test('PodMetrics are summed per pod, or read for one container; durations parse as Go prints them', () => {
  const items = [
    {
      metadata: { name: 'a', namespace: 'ns' },
      timestamp: '2026-01-01T12:00:00Z',
      window: '15s',
      containers: [
        { name: 'app', usage: { cpu: '250m', memory: '64Mi' } },
        { name: 'side', usage: { cpu: '50m', memory: '1Mi' } },
      ],
    },
    { metadata: { name: 'b', namespace: 'ns' }, timestamp: '2026-01-01T12:00:00Z', window: '1m0s', containers: [] },
  ];
  const pods = podMetricsFrom(items, 'cpu');
  assert.deepEqual([...pods.keys()], ['a'], 'a pod with no containers is left out');
  assert.equal(pods.get('a')!.value, 300);
  assert.equal(pods.get('a')!.windowMs, 15_000);
  assert.equal(podMetricsFrom(items, 'memory').get('a')!.value, 65 * 1024 * 1024 * 1000);
  assert.equal(containerMetricsFrom(items, 'cpu', 'side').get('a')!.value, 50);
  assert.throws(() => containerMetricsFrom(items, 'gpu', 'side'), /failed to get resource gpu for container side in pod ns\/a/);
  assert.equal(parseGoDuration('1m0s'), 60_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('bogus'), 0);
});
