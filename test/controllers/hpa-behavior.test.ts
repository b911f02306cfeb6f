// Stabilization and rate limits of the HPA: the fixed limit without `behavior`, and the
// behavior's policies and windows, as Kubernetes computes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScalingHistory } from '../../src/controllers/podautoscaler/behavior.js';

const T0 = 1_000_000;
const up = (policies: any[], selectPolicy = 'Max', stabilizationWindowSeconds = 0) => ({ policies, selectPolicy, stabilizationWindowSeconds });
const DEFAULT_UP = up([
  { type: 'Pods', value: 4, periodSeconds: 15 },
  { type: 'Percent', value: 100, periodSeconds: 15 },
]);
const DEFAULT_DOWN = { selectPolicy: 'Max', stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

test('without behavior: at most double (or 4) per sync, min/max kept, the reason named', () => {
  const h = new ScalingHistory();
  h.recordInitial('k', 1, T0);
  const r = h.normalize('k', 1, 10, 1, 20, T0);
  assert.equal(r.replicas, 4);
  assert.deepEqual(r.conditions[1], {
    type: 'ScalingLimited',
    status: 'True',
    reason: 'ScaleUpLimit',
    message: 'the desired replica count is increasing faster than the maximum scale rate',
  });
  const capped = new ScalingHistory().normalize('k', 4, 10, 1, 5, T0);
  assert.equal(capped.replicas, 5);
  assert.equal(capped.conditions[1]!.reason, 'TooManyReplicas');
  const within = new ScalingHistory().normalize('k', 2, 4, 1, 5, T0);
  assert.equal(within.replicas, 4);
  assert.deepEqual(within.conditions, [
    { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' },
  ]);
});

test('without behavior: a scale-down waits for the highest recommendation of the last 5 minutes', () => {
  const h = new ScalingHistory();
  h.recordInitial('k', 4, T0);
  const r1 = h.normalize('k', 4, 1, 1, 10, T0 + 15_000);
  assert.equal(r1.replicas, 4);
  assert.equal(r1.conditions[0]!.reason, 'ScaleDownStabilized');
  assert.equal(h.normalize('k', 4, 1, 1, 10, T0 + 299_000).replicas, 4);
  assert.equal(h.normalize('k', 4, 1, 1, 10, T0 + 301_000).replicas, 1, 'the initial recommendation of 4 has left the window');
  // A shorter controller-wide window (--horizontal-pod-autoscaler-downscale-stabilization).
  const short = new ScalingHistory(10_000);
  short.recordInitial('k', 4, T0);
  assert.equal(short.normalize('k', 4, 2, 1, 10, T0 + 11_000).replicas, 2);
});

test('behavior: a scale-down stabilization window of the HPA, then the scale-down policy', () => {
  const h = new ScalingHistory();
  const behavior = { scaleUp: DEFAULT_UP, scaleDown: { ...DEFAULT_DOWN, stabilizationWindowSeconds: 5 } };
  h.recordInitial('k', 6, T0);
  const r = h.normalizeWithBehavior('k', behavior, 6, 2, 1, 10, T0 + 1000);
  assert.equal(r.replicas, 6);
  assert.equal(r.conditions[0]!.reason, 'ScaleDownStabilized');
  assert.equal(h.normalizeWithBehavior('k', behavior, 6, 2, 1, 10, T0 + 6500).replicas, 2, 'window of 5 s passed');
});

test('behavior: scale-up policies limit each period (Pods 1 per 60 s), counting earlier scale events', () => {
  const h = new ScalingHistory();
  const behavior = { scaleUp: up([{ type: 'Pods', value: 1, periodSeconds: 60 }]), scaleDown: DEFAULT_DOWN };
  h.recordInitial('k', 2, T0);
  const r1 = h.normalizeWithBehavior('k', behavior, 2, 8, 1, 10, T0);
  assert.equal(r1.replicas, 3);
  assert.deepEqual(r1.conditions[1], {
    type: 'ScalingLimited',
    status: 'True',
    reason: 'ScaleUpLimit',
    message: 'the desired replica count is increasing faster than the maximum scale rate',
  });
  h.recordScale('k', behavior, 2, 3, T0);
  assert.equal(h.normalizeWithBehavior('k', behavior, 3, 8, 1, 10, T0 + 30_000).replicas, 3, 'one pod already added in this period');
  assert.equal(h.normalizeWithBehavior('k', behavior, 3, 8, 1, 10, T0 + 61_000).replicas, 4, 'next period');
});

test('behavior: selectPolicy Min picks the smaller change, Disabled allows none; Percent scale-down rounds down', () => {
  const min = {
    scaleUp: up(
      [
        { type: 'Pods', value: 5, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
      'Min',
    ),
    scaleDown: DEFAULT_DOWN,
  };
  assert.equal(new ScalingHistory().normalizeWithBehavior('k', min, 4, 20, 1, 30, T0).replicas, 6);
  const max = { ...min, scaleUp: { ...min.scaleUp, selectPolicy: 'Max' } };
  assert.equal(new ScalingHistory().normalizeWithBehavior('k', max, 4, 20, 1, 30, T0).replicas, 9);
  const disabled = { scaleUp: up([{ type: 'Pods', value: 5, periodSeconds: 60 }], 'Disabled'), scaleDown: DEFAULT_DOWN };
  assert.equal(new ScalingHistory().normalizeWithBehavior('k', disabled, 4, 20, 1, 30, T0).replicas, 4);
  const down = {
    scaleUp: DEFAULT_UP,
    scaleDown: { selectPolicy: 'Max', stabilizationWindowSeconds: 0, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
  };
  const r = new ScalingHistory().normalizeWithBehavior('k', down, 5, 1, 1, 30, T0);
  assert.equal(r.replicas, 2, 'half of 5, truncated: at most 3 removed in the period');
  assert.equal(r.conditions[1]!.reason, 'ScaleDownLimit');
});
