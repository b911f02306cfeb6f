// The HorizontalPodAutoscaler end to end: `skiff server` with simulated nodes whose pods
// report the CPU their `simulation.skiff.io/cpu` annotation sets, the built-in metrics
// server, and the real kubectl. Sync period 2 s, metrics every 1 s.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { kubectlOk, startServer, type TestServer } from '../helpers/server.js';

const PERIOD_S = 2;
let s: TestServer;

before(async () => {
  s = await startServer({
    args: ['--simulated-nodes', '2', '--metrics-resolution', '1s', '--horizontal-pod-autoscaler-sync-period', `${PERIOD_S}s`],
  });
});
after(async () => {
  await s?.cleanup();
});

const ok = kubectlOk(() => s);

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function deployment(name: string, replicas: number, opts: { cpu?: string; requests?: boolean } = {}): string {
  const resources = opts.requests === false ? '' : `, resources: {requests: {cpu: 100m}}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {simulation.skiff.io/cpu: ${opts.cpu ?? '100m'}}}
    spec: {containers: [{name: app, image: skiff.local/httpd:1.35${resources}}]}
`;
}

function hpa(name: string, spec: string): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${name}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ${name}}
${spec}`;
}

const CPU_50 = `  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]\n`;

const replicas = async (name: string) => Number(await ok(['get', 'deploy', name, '-o', 'jsonpath={.spec.replicas}']));
const hpaJson = async (name: string) => JSON.parse(await ok(['get', 'hpa', name, '-o', 'json']));
const condition = (h: any, type: string) => h.status?.conditions?.find((c: any) => c.type === type);

/** Waits until the metrics server reports every pod of `app` (so the HPA can read them). */
async function metricsFor(app: string, pods: number): Promise<void> {
  await until(`metrics for ${pods} pods of ${app}`, 30_000, async () => {
    const list = JSON.parse(await ok(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3D${app}`]));
    return list.items.length === pods && list.items.every((i: any) => i.containers?.[0]?.usage?.cpu);
  });
}

async function events(name: string): Promise<any[]> {
  const list = JSON.parse(
    await ok(['get', 'events', '--field-selector', `involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=${name}`, '-o', 'json']),
  );
  return list.items;
}

test('CPU at 200 % of the target scales 2 → 4 within two controller periods; kubectl get hpa shows cpu: 100%/50%', async () => {
  await ok(['apply', '-f', '-'], deployment('web', 2, { cpu: '100m' }));
  await metricsFor('web', 2);
  const t0 = Date.now();
  await ok(['apply', '-f', '-'], hpa('web', `  minReplicas: 1\n  maxReplicas: 10\n${CPU_50}`));
  await until('replicas ≥ 4', 2 * PERIOD_S * 1000 + 1000, async () => (await replicas('web')) >= 4);
  assert.ok(Date.now() - t0 <= 2 * PERIOD_S * 1000 + 1000, `took ${Date.now() - t0} ms`);
  const first = (await events('web')).find((e) => e.reason === 'SuccessfulRescale');
  assert.equal(first?.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
  const table = await ok(['get', 'hpa', 'web']);
  assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\n/);
  assert.match(table, /\nweb\s+Deployment\/web\s+cpu: 100%\/50%\s+1\s+10\s+\d+\s+\d+s\n/);
  const describe = await ok(['describe', 'hpa', 'web']);
  assert.match(describe, /resource cpu on pods\s+\(as a percentage of request\):\s+100% \(100m\) \/ 50%/);
  assert.match(describe, /ScalingActive\s+True\s+ValidMetricFound/);
  await ok(['delete', 'hpa', 'web']);
  await ok(['delete', 'deploy', 'web']);
});

test('usage falls: replicas fall only after the stabilization window of the HPA’s behavior', async () => {
  await ok(['apply', '-f', '-'], deployment('calm', 4, { cpu: '50m' }));
  await metricsFor('calm', 4);
  const window = 10;
  await ok(
    ['apply', '-f', '-'],
    hpa('calm', `  minReplicas: 1\n  maxReplicas: 10\n${CPU_50}  behavior:\n    scaleDown: {stabilizationWindowSeconds: ${window}}\n`),
  );
  await until('the HPA at 50 %', 15_000, async () => (await hpaJson('calm')).status?.currentMetrics?.[0]?.resource?.current?.averageUtilization === 50);
  const changed = Date.now();
  await ok(['annotate', 'pods', '-l', 'app=calm', '--overwrite', 'simulation.skiff.io/cpu=5m']);
  // Until the HPA sees the new usage it keeps recommending 4, so the last such
  // recommendation is at most one period older than the change: for the window after
  // that the HPA holds at 4 and says why.
  let stabilized = false;
  while (Date.now() < changed + (window - PERIOD_S - 0.5) * 1000) {
    assert.equal(await replicas('calm'), 4, `scaled down ${((Date.now() - changed) / 1000).toFixed(1)} s after usage fell, within the ${window} s window`);
    const h = await hpaJson('calm');
    const u = h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
    if (u !== undefined && u < 50 && condition(h, 'AbleToScale')?.reason === 'ScaleDownStabilized') stabilized = true;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(stabilized, 'AbleToScale said ScaleDownStabilized while usage was low');
  await until('scaled down', (window + 4 * PERIOD_S) * 1000, async () => (await replicas('calm')) === 1);
  const downs = (await events('calm')).filter((e) => e.reason === 'SuccessfulRescale').map((e) => e.message);
  assert.ok(downs.includes('New size: 1; reason: All metrics below target'), downs.join('\n'));
  await ok(['delete', 'hpa', 'calm']);
  await ok(['delete', 'deploy', 'calm']);
});

test('behavior policies limit the step: one pod per minute up', async () => {
  await ok(['apply', '-f', '-'], deployment('step', 1, { cpu: '200m' }));
  await metricsFor('step', 1);
  await ok(
    ['apply', '-f', '-'],
    hpa('step', `  minReplicas: 1\n  maxReplicas: 10\n${CPU_50}  behavior:\n    scaleUp: {policies: [{type: Pods, value: 1, periodSeconds: 60}]}\n`),
  );
  await until('one step', 10_000, async () => (await replicas('step')) === 2);
  // Several more periods at 400 % of target: the policy holds it at 2.
  await new Promise((r) => setTimeout(r, 3 * PERIOD_S * 1000));
  assert.equal(await replicas('step'), 2);
  const limited = condition(await hpaJson('step'), 'ScalingLimited');
  assert.deepEqual([limited?.status, limited?.reason], ['True', 'ScaleUpLimit']);
  assert.equal(limited?.message, 'the desired replica count is increasing faster than the maximum scale rate');
  await ok(['delete', 'hpa', 'step']);
  await ok(['delete', 'deploy', 'step']);
});

test('kubectl autoscale deployment x --cpu-percent=50 --min=1 --max=5 creates a working autoscaler; --min above replicas raises them', async () => {
  await ok(['apply', '-f', '-'], deployment('auto', 1, { cpu: '20m' }));
  await metricsFor('auto', 1);
  assert.equal(
    (await ok(['autoscale', 'deployment', 'auto', '--cpu-percent=50', '--min=1', '--max=5'])).trim(),
    'horizontalpodautoscaler.autoscaling/auto autoscaled',
  );
  const v1 = JSON.parse(await ok(['get', '--raw', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/auto']));
  assert.deepEqual([v1.spec.minReplicas, v1.spec.maxReplicas, v1.spec.targetCPUUtilizationPercentage], [1, 5, 50]);
  await until('targets', 10_000, async () => /auto\s+Deployment\/auto\s+cpu: 20%\/50%\s+1\s+5\s+1\s/.test(await ok(['get', 'hpa', 'auto'])));
  const h = await hpaJson('auto');
  assert.deepEqual(h.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
  await ok(['patch', 'hpa', 'auto', '--type=merge', '-p', '{"spec":{"minReplicas":3}}']);
  await until('raised to 3', 3 * PERIOD_S * 1000, async () => (await replicas('auto')) === 3);
  const ev = (await events('auto')).find((e) => e.reason === 'SuccessfulRescale');
  assert.equal(ev?.message, 'New size: 3; reason: Current number of replicas below Spec.MinReplicas');
  await ok(['delete', 'hpa', 'auto']);
  await ok(['delete', 'deploy', 'auto']);
});

test('a target without CPU requests: FailedGetResourceMetric condition and Event with Kubernetes wording; a missing target says so', async () => {
  await ok(['apply', '-f', '-'], deployment('noreq', 2, { requests: false }));
  await metricsFor('noreq', 2);
  await ok(['apply', '-f', '-'], hpa('noreq', `  maxReplicas: 5\n${CPU_50}`));
  // The first sync may still find no metrics for a pod (a scrape not yet in): wait for the verdict on requests.
  const h = await until('condition', 20_000, async () => {
    const o = await hpaJson('noreq');
    return /missing request/.test(condition(o, 'ScalingActive')?.message ?? '') ? o : undefined;
  });
  const active = condition(h, 'ScalingActive');
  assert.deepEqual([active.status, active.reason], ['False', 'FailedGetResourceMetric']);
  assert.match(
    active.message,
    /^the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container app of Pod noreq-/,
  );
  // As with the condition, an Event of the first sync may say that no metrics came yet: find the one about requests.
  const ev = await until('event', 10_000, async () =>
    (await events('noreq')).find((e) => e.reason === 'FailedGetResourceMetric' && /missing request/.test(e.message)),
  );
  assert.equal(ev.type, 'Warning');
  assert.match(ev.message, /^failed to get cpu utilization: missing request for cpu in container app of Pod noreq-\S+$/);
  assert.match(await ok(['get', 'hpa', 'noreq']), /cpu: <unknown>\/50%/);
  assert.equal(await replicas('noreq'), 2);

  await ok(['apply', '-f', '-'], hpa('ghost', `  maxReplicas: 5\n${CPU_50}`));
  const g = await until('FailedGetScale', 10_000, async () => {
    const o = await hpaJson('ghost');
    return condition(o, 'AbleToScale')?.reason === 'FailedGetScale' ? o : undefined;
  });
  assert.equal(condition(g, 'AbleToScale').message, `the HPA controller was unable to get the target's current scale: deployments.apps "ghost" not found`);
  const gev = await until('event', 10_000, async () => (await events('ghost')).find((e) => e.reason === 'FailedGetScale'));
  assert.equal(gev.message, 'deployments.apps "ghost" not found');
});

test('invalid HPA specs are refused with field paths', async () => {
  const r = await s.kubectl(['apply', '-f', '-'], {
    input: hpa('bad', `  minReplicas: 0\n  maxReplicas: 0\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization}}}]\n`),
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.minReplicas: Invalid value: 0: must be greater than or equal to 1/);
  assert.match(r.stderr, /spec\.maxReplicas: Invalid value: 0: must be greater than 0/);
  assert.match(
    r.stderr,
    /spec\.metrics\[0\]\.resource\.target\.averageUtilization: Required value: must set either a target raw value or a target utilization/,
  );
});

test('any resource with a scale subresource: a custom resource is scaled through /scale', async () => {
  await ok(
    ['apply', '-f', '-'],
    `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: workers.hpa.example.com}
spec:
  group: hpa.example.com
  scope: Namespaced
  names: {plural: workers, singular: worker, kind: Worker}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {replicas: {type: integer}}}
          status: {type: object, properties: {replicas: {type: integer}, selector: {type: string}}}
`,
  );
  await until('the CRD served', 10_000, async () => (await s.kubectl(['get', 'workers'])).code === 0);
  await ok(['apply', '-f', '-'], 'apiVersion: hpa.example.com/v1\nkind: Worker\nmetadata: {name: crunch}\nspec: {replicas: 2}\n');
  await ok(['patch', 'worker', 'crunch', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":2,"selector":"app=crunch"}}']);
  // The custom resource's "controller" is the test: two pods carrying its label, at 200 % of the target.
  for (const n of ['crunch-a', 'crunch-b'])
    await ok(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Pod
metadata: {name: ${n}, labels: {app: crunch}, annotations: {simulation.skiff.io/cpu: 100m}}
spec: {containers: [{name: app, image: skiff.local/httpd:1.35, resources: {requests: {cpu: 100m}}}]}
`,
    );
  await metricsFor('crunch', 2);
  await ok(
    ['apply', '-f', '-'],
    `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: crunch}
spec:
  scaleTargetRef: {apiVersion: hpa.example.com/v1, kind: Worker, name: crunch}
  maxReplicas: 4
${CPU_50}`,
  );
  await until(
    'the custom resource scaled to 4',
    3 * PERIOD_S * 1000,
    async () => (await ok(['get', 'worker', 'crunch', '-o', 'jsonpath={.spec.replicas}'])) === '4',
  );
  const ev = (await events('crunch')).find((e) => e.reason === 'SuccessfulRescale');
  assert.equal(ev?.message, 'New size: 4; reason: cpu resource utilization (percentage of request) above target');
});
