// Resources served in two versions over one storage: core/v1 and events.k8s.io/v1 Events,
// autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscalers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TestApi } from './setup.js';

let t: TestApi;
before(async () => {
  t = await TestApi.start();
  await t.namespace('ev');
});
after(() => t.close());

const CORE = '/api/v1/namespaces/ev/events';
const NEW = '/apis/events.k8s.io/v1/namespaces/ev/events';
const HPA1 = '/apis/autoscaling/v1/namespaces/ev/horizontalpodautoscalers';
const HPA2 = '/apis/autoscaling/v2/namespaces/ev/horizontalpodautoscalers';

test('a core/v1 Event reads back through events.k8s.io/v1, converted', async () => {
  const created = await t.post(CORE, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'core-ev' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'ev', uid: 'u1' },
    reason: 'Started',
    message: 'Started container web',
    type: 'Normal',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: '2024-01-01T00:00:00Z',
    lastTimestamp: '2024-01-01T00:01:00Z',
    count: 3,
  });
  const ev = await t.get(`${NEW}/core-ev`);
  assert.equal(ev.apiVersion, 'events.k8s.io/v1');
  assert.equal(ev.kind, 'Event');
  assert.equal(ev.metadata!.uid, created.metadata!.uid);
  assert.equal(ev.metadata!.resourceVersion, created.metadata!.resourceVersion);
  assert.deepEqual(ev.regarding, { kind: 'Pod', name: 'web', namespace: 'ev', uid: 'u1' });
  assert.equal(ev.note, 'Started container web');
  assert.equal(ev.reason, 'Started');
  assert.equal(ev.type, 'Normal');
  assert.deepEqual(ev.deprecatedSource, { component: 'kubelet', host: 'node-1' });
  assert.equal(ev.deprecatedFirstTimestamp, '2024-01-01T00:00:00Z');
  assert.equal(ev.deprecatedLastTimestamp, '2024-01-01T00:01:00Z');
  assert.equal(ev.deprecatedCount, 3);
  assert.equal(ev.involvedObject, undefined);
  assert.equal(ev.message, undefined);
});

test('an events.k8s.io/v1 Event reads back through core/v1, converted; lists and watches span both', async () => {
  const w = await t.watch(CORE, { fieldSelector: 'metadata.name=new-ev' });
  const created = await t.post(NEW, {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'new-ev' },
    eventTime: '2024-01-01T00:00:00.000000Z',
    reportingController: 'example.com/ctl',
    reportingInstance: 'ctl-1',
    action: 'Scale',
    reason: 'Scaled',
    regarding: { kind: 'Deployment', name: 'web', namespace: 'ev' },
    note: 'scaled to 3',
    type: 'Normal',
  });
  assert.equal(created.apiVersion, 'events.k8s.io/v1');
  const core = await t.get(`${CORE}/new-ev`);
  assert.equal(core.apiVersion, 'v1');
  assert.deepEqual(core.involvedObject, { kind: 'Deployment', name: 'web', namespace: 'ev' });
  assert.equal(core.message, 'scaled to 3');
  assert.equal(core.reportingComponent, 'example.com/ctl');
  assert.equal(core.reportingInstance, 'ctl-1');
  assert.equal(core.action, 'Scale');
  assert.equal(core.eventTime, '2024-01-01T00:00:00.000000Z');
  assert.equal(core.metadata!.uid, created.metadata!.uid);

  const viaNew = await t.get(NEW);
  const viaCore = await t.get(CORE);
  assert.equal(viaNew.kind, 'EventList');
  assert.equal(viaNew.apiVersion, 'events.k8s.io/v1');
  assert.deepEqual(viaNew.items.map((e: any) => e.metadata.name).sort(), viaCore.items.map((e: any) => e.metadata.name).sort());
  assert.ok(viaCore.items.every((e: any) => e.involvedObject && e.regarding === undefined));

  await w.count(1);
  assert.equal(w.events[0]!.type, 'ADDED');
  assert.equal(w.events[0]!.object.apiVersion, 'v1');
  assert.equal(w.events[0]!.object.message, 'scaled to 3');

  // An update through one version is seen through the other; deleting through either removes it.
  await t.patch(`${CORE}/new-ev`, 'merge', { metadata: { labels: { seen: 'yes' } } });
  assert.deepEqual((await t.get(`${NEW}/new-ev`)).metadata!.labels, { seen: 'yes' });
  await t.del(`${NEW}/new-ev`);
  assert.equal(await t.exists(`${CORE}/new-ev`), false);
});

test('events.k8s.io/v1 applies its stricter create validation (eventTime is required)', async () => {
  const st = await t.fail('POST', NEW, {
    body: { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bad' }, regarding: { kind: 'Pod', name: 'p', namespace: 'ev' }, type: 'Normal' },
  });
  assert.equal(st.code, 422);
  assert.ok(st.details.causes.some((c: any) => c.field === 'eventTime' && c.reason === 'FieldValueRequired'));
});

const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

test('an autoscaling/v2 HPA with a CPU target reads as autoscaling/v1 targetCPUUtilizationPercentage', async () => {
  const created = await t.post(HPA2, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'cpu' },
    spec: {
      scaleTargetRef,
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    },
  });
  const v1 = await t.get(`${HPA1}/cpu`);
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.deepEqual(v1.spec, { scaleTargetRef, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 });
  assert.equal(v1.metadata!.uid, created.metadata!.uid);
  assert.equal(v1.metadata!.annotations, undefined);
});

test('an autoscaling/v1 HPA reads as autoscaling/v2 with a Resource cpu metric', async () => {
  await t.post(HPA1, {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'v1' },
    spec: { scaleTargetRef, maxReplicas: 4, targetCPUUtilizationPercentage: 70 },
  });
  const v2 = await t.get(`${HPA2}/v1`);
  assert.equal(v2.apiVersion, 'autoscaling/v2');
  assert.equal(v2.spec.maxReplicas, 4);
  assert.equal(v2.spec.minReplicas, 1); // defaulted
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  const list = await t.get(HPA2);
  assert.equal(list.kind, 'HorizontalPodAutoscalerList');
  assert.ok(list.items.some((h: any) => h.metadata.name === 'v1' && h.apiVersion === 'autoscaling/v2'));
});

test('metrics autoscaling/v1 cannot express survive a round trip through v1 (annotation), and stay out of v2', async () => {
  const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
  await t.post(HPA2, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'mixed' },
    spec: {
      scaleTargetRef,
      maxReplicas: 3,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }, memory],
    },
  });
  const v1 = await t.get(`${HPA1}/mixed`);
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  assert.match(v1.metadata!.annotations['autoscaling.alpha.kubernetes.io/metrics'], /"memory"/);
  // Update through v1: the memory metric is kept, the change applies.
  await t.put(`${HPA1}/mixed`, { ...v1, spec: { ...v1.spec, maxReplicas: 9, targetCPUUtilizationPercentage: 40 } });
  const v2 = await t.get(`${HPA2}/mixed`);
  assert.equal(v2.spec.maxReplicas, 9);
  const cpu40 = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 40 } } };
  assert.equal(v2.spec.metrics.length, 2);
  assert.deepEqual(
    v2.spec.metrics.find((m: any) => m.resource.name === 'cpu'),
    cpu40,
  );
  assert.deepEqual(
    v2.spec.metrics.find((m: any) => m.resource.name === 'memory'),
    memory,
  );
  assert.equal(v2.metadata!.annotations?.['autoscaling.alpha.kubernetes.io/metrics'], undefined);
  // A watch through v1 sees v2 writes converted.
  const w = await t.watch(`${HPA1}/mixed`);
  await t.patch(`${HPA2}/mixed`, 'merge', { spec: { maxReplicas: 10 } });
  await w.count(2);
  assert.equal(w.events[1]!.type, 'MODIFIED');
  assert.equal(w.events[1]!.object.apiVersion, 'autoscaling/v1');
  assert.equal(w.events[1]!.object.spec.maxReplicas, 10);
});

test('v1 → v2 conversion puts the annotation metrics first and the CPU target last, as Kubernetes does', async () => {
  const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
  await t.post(HPA2, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'order' },
    spec: {
      scaleTargetRef,
      maxReplicas: 3,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }, memory],
    },
  });
  const v1 = await t.get(`${HPA1}/order`);
  await t.put(`${HPA1}/order`, { ...v1, spec: { ...v1.spec, maxReplicas: 4 } });
  const v2 = await t.get(`${HPA2}/order`);
  assert.deepEqual(
    v2.spec.metrics.map((m: any) => m.resource.name),
    ['memory', 'cpu'],
  );
});
