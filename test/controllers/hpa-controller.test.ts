// The HPA controller in process against a real API server, with a fake resource metrics
// client: it rescales through /scale, writes status, conditions and Events as Kubernetes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { resources } from '../../src/client/resources.js';
import { HPAController } from '../../src/controllers/podautoscaler/controller.js';
import type { PodMetricsInfo, ResourceMetricsClient } from '../../src/controllers/podautoscaler/metrics-client.js';
import { harness, waitFor } from './job-harness.js';

class FakeMetrics implements ResourceMetricsClient {
  /** Pod name → millicores. */
  usage = new Map<string, number>();
  async getResourceMetric(_resource: string, _ns: string, _selector: string, _container: string) {
    const metrics: PodMetricsInfo = new Map();
    for (const [n, v] of this.usage) metrics.set(n, { timestamp: Date.now() - 1000, windowMs: 15_000, value: v });
    if (!metrics.size) throw new Error('no metrics returned from resource metrics API');
    return { metrics, timestamp: Date.now() - 1000 };
  }
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function setup(opts: { requests?: boolean } = {}) {
  const h = await harness();
  const metrics = new FakeMetrics();
  const [c] = (await h.start((ctx) => new HPAController(ctx, { metrics, syncPeriodMs: 150 }))) as HPAController[];
  const container = { name: 'app', image: 'x', ...(opts.requests === false ? {} : { resources: { requests: { cpu: '100m' } } }) };
  await h.client.deployments.create({
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } } },
  } as Deployment);
  for (const name of ['web-1', 'web-2']) {
    const p = await h.client.pods.create({ metadata: { name, namespace: 'default', labels: { app: 'web' } }, spec: { containers: [container] } } as Pod);
    await h.client.pods.updateStatus({
      ...p,
      status: { phase: 'Running', startTime: ago(600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(590_000) }] },
    });
  }
  const hpas = h.client.resource(resources.horizontalPodAutoscalers);
  const events = async (reason: string) =>
    (await h.client.events.list({ namespace: 'default' })).items.filter((e) => e.reason === reason && e.involvedObject?.kind === 'HorizontalPodAutoscaler');
  const replicas = async () => (await h.client.deployments.getScale('web', 'default')).spec?.replicas;
  return { h, c: c!, metrics, hpas, events, replicas };
}

const cpuHPA = (extra: any = {}) => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 10,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    ...extra,
  },
});

test('CPU at 200 % of target: 2 → 4 with SuccessfulRescale, status and conditions as Kubernetes writes them', async () => {
  const { h, metrics, hpas, events, replicas } = await setup();
  try {
    metrics.usage.set('web-1', 100).set('web-2', 100);
    await hpas.create(cpuHPA() as any);
    await waitFor('scaled to 4', async () => (await replicas()) === 4);
    const [ev] = await events('SuccessfulRescale');
    assert.equal(ev?.type, 'Normal');
    assert.equal(ev?.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
    const hpa: any = await waitFor('status written', async () => {
      const o: any = await hpas.get('web', 'default');
      return o.status?.desiredReplicas === 4 && o.status?.currentMetrics ? o : undefined;
    });
    assert.equal(hpa.status.currentReplicas, 2);
    assert.ok(hpa.status.lastScaleTime);
    assert.deepEqual(hpa.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '100m', averageUtilization: 100 } } }]);
    const byType = Object.fromEntries(hpa.status.conditions.map((c: any) => [c.type, c]));
    assert.equal(byType.AbleToScale.reason, 'SucceededRescale');
    assert.equal(byType.AbleToScale.message, 'the HPA controller was able to update the target scale to 4');
    assert.equal(byType.ScalingActive.reason, 'ValidMetricFound');
    assert.equal(
      byType.ScalingActive.message,
      'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
    );
    assert.equal(byType.ScalingLimited.status, 'False');
  } finally {
    h.stop();
  }
});

test('a target without requests: FailedGetResourceMetric condition and Events with Kubernetes wording; replicas unchanged', async () => {
  const { h, metrics, hpas, events, replicas } = await setup({ requests: false });
  try {
    metrics.usage.set('web-1', 100).set('web-2', 100);
    await hpas.create(cpuHPA() as any);
    const [ev] = await waitFor('event', async () => ((await events('FailedGetResourceMetric')).length ? events('FailedGetResourceMetric') : undefined));
    assert.equal(ev!.type, 'Warning');
    assert.match(ev!.message!, /^failed to get cpu utilization: missing request for cpu in container app of Pod web-[12]$/);
    const [fc] = await waitFor('compute event', async () =>
      (await events('FailedComputeMetricsReplicas')).length ? events('FailedComputeMetricsReplicas') : undefined,
    );
    assert.match(
      fc!.message!,
      /^invalid metrics \(1 invalid out of 1\), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container app of Pod web-[12]$/,
    );
    const hpa: any = await waitFor('condition', async () => {
      const o: any = await hpas.get('web', 'default');
      return o.status?.conditions?.find((c: any) => c.type === 'ScalingActive') ? o : undefined;
    });
    const active = hpa.status.conditions.find((c: any) => c.type === 'ScalingActive');
    assert.equal(active.status, 'False');
    assert.equal(active.reason, 'FailedGetResourceMetric');
    assert.match(
      active.message,
      /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod web-[12]$/,
    );
    assert.deepEqual(hpa.status.currentMetrics, [{ type: '' }]);
    assert.equal(await replicas(), 2);
  } finally {
    h.stop();
  }
});

test('a missing scale target: AbleToScale False, FailedGetScale with the not-found message', async () => {
  const { h, hpas, events } = await setup();
  try {
    await hpas.create(cpuHPA({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope' } }) as any);
    const [ev] = await waitFor('event', async () => ((await events('FailedGetScale')).length ? events('FailedGetScale') : undefined));
    assert.match(ev!.message!, /deployments.apps "nope" not found/);
    const hpa: any = await waitFor('condition', async () => {
      const o: any = await hpas.get('web', 'default');
      return o.status?.conditions?.length ? o : undefined;
    });
    assert.deepEqual(
      hpa.status.conditions.map((c: any) => [c.type, c.status, c.reason]),
      [['AbleToScale', 'False', 'FailedGetScale']],
    );
    assert.match(hpa.status.conditions[0].message, /^the HPA controller was unable to get the target's current scale: deployments.apps "nope" not found/);
  } finally {
    h.stop();
  }
});

test('Pods, Object and External metrics fail as without a custom metrics API; minReplicas is still enforced', async () => {
  const { h, hpas, events, replicas } = await setup();
  try {
    await hpas.create(
      cpuHPA({
        metrics: [
          { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } },
          { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '10' } } },
        ],
      }) as any,
    );
    const [ev] = await waitFor('event', async () => ((await events('FailedGetPodsMetric')).length ? events('FailedGetPodsMetric') : undefined));
    assert.match(ev!.message!, /^unable to get metric rps: unable to fetch metrics from custom metrics API: /);
    await waitFor('external event', async () => (await events('FailedGetExternalMetric')).length > 0);
    const hpa: any = await waitFor('condition', async () => {
      const o: any = await hpas.get('web', 'default');
      return o.status?.conditions?.find((c: any) => c.type === 'ScalingActive') ? o : undefined;
    });
    assert.equal(
      hpa.status.conditions.find((c: any) => c.type === 'ScalingActive').reason,
      'FailedGetPodsMetric',
      'the first failing metric names the condition',
    );
    // Below minReplicas: raised without reading metrics.
    await hpas.patch('web', { spec: { minReplicas: 3 } }, 'merge', { namespace: 'default' });
    await waitFor('raised to min', async () => (await replicas()) === 3);
    const [up] = await events('SuccessfulRescale');
    assert.equal(up!.message, 'New size: 3; reason: Current number of replicas below Spec.MinReplicas');
  } finally {
    h.stop();
  }
});

test('behavior: usage falls, replicas fall only after the HPA stabilization window; a policy limits the step', async () => {
  const { h, metrics, hpas, replicas } = await setup();
  try {
    metrics.usage.set('web-1', 10).set('web-2', 10);
    await hpas.create(
      cpuHPA({
        behavior: {
          scaleDown: { stabilizationWindowSeconds: 2, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
        },
      }) as any,
    );
    const start = Date.now();
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await replicas(), 2, 'within the stabilization window nothing changes');
    await waitFor('scaled down by one', async () => (await replicas()) === 1, 6000);
    assert.ok(Date.now() - start >= 2000, 'not before the 2 s window');
  } finally {
    h.stop();
  }
});

test('a scale without a selector, and a scale write that fails: the conditions and Events Kubernetes writes', async () => {
  const h = await harness();
  const metrics = new FakeMetrics();
  metrics.usage.set('web-1', 100).set('web-2', 100);
  let selector = '';
  const scales = {
    resolve: () => ({ group: 'example.com', version: 'v1', resource: 'widgets', namespaced: true, kind: 'Widget' }),
    getScale: async () => ({ metadata: { name: 'w', namespace: 'default' }, spec: { replicas: 2 }, status: { replicas: 2, selector } }),
    updateScale: async (): Promise<never> => {
      throw new Error('widgets.example.com "w" is forbidden: quota exceeded');
    },
  };
  try {
    await h.start((ctx) => new HPAController(ctx, { metrics, scales, syncPeriodMs: 150 }));
    for (const name of ['web-1', 'web-2']) {
      const p = await h.client.pods.create({
        metadata: { name, namespace: 'default', labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '100m' } } }] },
      } as Pod);
      await h.client.pods.updateStatus({
        ...p,
        status: { phase: 'Running', startTime: ago(600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(590_000) }] },
      });
    }
    const hpas = h.client.resource(resources.horizontalPodAutoscalers);
    const events = async (reason: string) => (await h.client.events.list({ namespace: 'default' })).items.filter((e) => e.reason === reason);
    await hpas.create(cpuHPA({ scaleTargetRef: { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w' } }) as any);
    const [sel] = await waitFor('SelectorRequired', async () => ((await events('SelectorRequired')).length ? events('SelectorRequired') : undefined));
    assert.equal(sel!.message, 'selector is required');
    const [fc] = await waitFor('FailedComputeMetricsReplicas', async () =>
      (await events('FailedComputeMetricsReplicas')).length ? events('FailedComputeMetricsReplicas') : undefined,
    );
    assert.equal(fc!.message, 'selector is required');
    const active = await waitFor('InvalidSelector', async () => {
      const o: any = await hpas.get('web', 'default');
      return o.status?.conditions?.find((c: any) => c.type === 'ScalingActive' && c.reason === 'InvalidSelector');
    });
    assert.equal(active.message, "the HPA target's scale is missing a selector");

    selector = 'app=web';
    const [fr] = await waitFor('FailedRescale', async () => ((await events('FailedRescale')).length ? events('FailedRescale') : undefined));
    assert.equal(
      fr!.message,
      'New size: 4; reason: cpu resource utilization (percentage of request) above target; error: widgets.example.com "w" is forbidden: quota exceeded',
    );
    const able = await waitFor('FailedUpdateScale', async () => {
      const o: any = await hpas.get('web', 'default');
      return o.status?.conditions?.find((c: any) => c.type === 'AbleToScale' && c.reason === 'FailedUpdateScale');
    });
    assert.equal(able.status, 'False');
    assert.equal(able.message, 'the HPA controller was unable to update the target scale: widgets.example.com "w" is forbidden: quota exceeded');
  } finally {
    h.stop();
  }
});
