// Kinds of the autoscaling group: v1 and v2 HorizontalPodAutoscalers and the Scale subresource.
import './core-kinds.js';
import { arr, gv, i64, int, keyed, kind, kindWithList, qty, ref, selector, str, time, type } from './dsl.js';

const AS1 = 'io.k8s.api.autoscaling.v1.';
const AS2 = 'io.k8s.api.autoscaling.v2.';
for (const pkg of [AS1, AS2])
  type(
    `${pkg}CrossVersionObjectReference`,
    'The object to scale.',
    { kind: str('Kind.'), name: str('Name.'), apiVersion: str('API version.') },
    { required: ['kind', 'name'], ext: { 'x-kubernetes-map-type': 'atomic' } },
  );
type(`${AS1}ScaleSpec`, 'Desired scale.', { replicas: int('Desired replicas.') });
type(`${AS1}ScaleStatus`, 'Observed scale.', { replicas: int('Current replicas.'), selector: str('Label selector of the pods.') }, { required: ['replicas'] });
kind(`${AS1}Scale`, [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }], 'The scale subresource of a resource.', {
  spec: ref(`${AS1}ScaleSpec`, 'Desired scale.'),
  status: ref(`${AS1}ScaleStatus`, 'Observed scale.'),
});
type(
  `${AS1}HorizontalPodAutoscalerSpec`,
  'Desired state of an autoscaler.',
  {
    scaleTargetRef: ref(`${AS1}CrossVersionObjectReference`, 'What to scale.'),
    minReplicas: int('Fewest replicas; 1 by default.'),
    maxReplicas: int('Most replicas.'),
    targetCPUUtilizationPercentage: int('Target average CPU use, in percent of requests.'),
  },
  { required: ['scaleTargetRef', 'maxReplicas'] },
);
type(
  `${AS1}HorizontalPodAutoscalerStatus`,
  'Observed state of an autoscaler.',
  {
    observedGeneration: i64('Generation last acted on.'),
    lastScaleTime: time('When it last scaled.'),
    currentReplicas: int('Current replicas.'),
    desiredReplicas: int('Desired replicas.'),
    currentCPUUtilizationPercentage: int('Current CPU use.'),
  },
  { required: ['currentReplicas', 'desiredReplicas'] },
);
kindWithList(`${AS1}HorizontalPodAutoscaler`, gv('autoscaling', 'v1')('HorizontalPodAutoscaler'), 'Scales a workload by its CPU use.', {
  spec: ref(`${AS1}HorizontalPodAutoscalerSpec`, 'Desired state.'),
  status: ref(`${AS1}HorizontalPodAutoscalerStatus`, 'Observed state.'),
});

type(
  `${AS2}MetricTarget`,
  'A target value.',
  {
    type: str('Utilization, Value or AverageValue.'),
    value: qty('Target value.'),
    averageValue: qty('Target average.'),
    averageUtilization: int('Target percentage of requests.'),
  },
  { required: ['type'] },
);
type(`${AS2}MetricValueStatus`, 'A current value.', {
  value: qty('Value.'),
  averageValue: qty('Average.'),
  averageUtilization: int('Percentage of requests.'),
});
type(`${AS2}MetricIdentifier`, 'A metric.', { name: str('Name.'), selector: selector('Series to select.') }, { required: ['name'] });
const metricKinds: [string, string, Record<string, ReturnType<typeof ref>>][] = [
  ['Resource', 'A resource of the pods, e.g. cpu.', { name: str('Resource name.') as never }],
  ['ContainerResource', 'A resource of one container of the pods.', { name: str('Resource name.') as never, container: str('Container.') as never }],
  ['Pods', 'A metric averaged over the pods.', { metric: ref(`${AS2}MetricIdentifier`, 'The metric.') }],
  [
    'Object',
    'A metric of another object.',
    { describedObject: ref(`${AS2}CrossVersionObjectReference`, 'The object.'), metric: ref(`${AS2}MetricIdentifier`, 'The metric.') },
  ],
  ['External', 'A metric from outside the cluster.', { metric: ref(`${AS2}MetricIdentifier`, 'The metric.') }],
];
for (const [k, desc, fields] of metricKinds) {
  type(`${AS2}${k}MetricSource`, desc, { ...fields, target: ref(`${AS2}MetricTarget`, 'Target value.') });
  type(`${AS2}${k}MetricStatus`, desc, { ...fields, current: ref(`${AS2}MetricValueStatus`, 'Current value.') });
}
const lower = (k: string) => k[0]!.toLowerCase() + k.slice(1);
type(
  `${AS2}MetricSpec`,
  'A metric to scale on.',
  {
    type: str('Object, Pods, Resource, ContainerResource or External.'),
    ...Object.fromEntries(metricKinds.map(([k, desc]) => [lower(k), ref(`${AS2}${k}MetricSource`, desc)])),
  },
  { required: ['type'] },
);
type(
  `${AS2}MetricStatus`,
  'The current value of a metric.',
  {
    type: str('Object, Pods, Resource, ContainerResource or External.'),
    ...Object.fromEntries(metricKinds.map(([k, desc]) => [lower(k), ref(`${AS2}${k}MetricStatus`, desc)])),
  },
  { required: ['type'] },
);
type(
  `${AS2}HPAScalingPolicy`,
  'A limit on one scaling step.',
  { type: str('Pods or Percent.'), value: int('Amount.'), periodSeconds: int('Window.') },
  { required: ['type', 'value', 'periodSeconds'] },
);
type(`${AS2}HPAScalingRules`, 'How fast to scale in one direction.', {
  stabilizationWindowSeconds: int('Seconds of past recommendations to consider.'),
  selectPolicy: str('Max, Min or Disabled.'),
  policies: arr(ref(`${AS2}HPAScalingPolicy`), 'Policies.'),
  tolerance: qty('Tolerance on the metric ratio.'),
});
type(`${AS2}HorizontalPodAutoscalerBehavior`, 'Scaling speed in each direction.', {
  scaleUp: ref(`${AS2}HPAScalingRules`, 'Scaling up.'),
  scaleDown: ref(`${AS2}HPAScalingRules`, 'Scaling down.'),
});
type(
  `${AS2}HorizontalPodAutoscalerSpec`,
  'Desired state of an autoscaler.',
  {
    scaleTargetRef: ref(`${AS2}CrossVersionObjectReference`, 'What to scale.'),
    minReplicas: int('Fewest replicas; 1 by default.'),
    maxReplicas: int('Most replicas.'),
    metrics: arr(ref(`${AS2}MetricSpec`), 'Metrics to scale on.'),
    behavior: ref(`${AS2}HorizontalPodAutoscalerBehavior`, 'Scaling speed.'),
  },
  { required: ['scaleTargetRef', 'maxReplicas'] },
);
type(
  `${AS2}HorizontalPodAutoscalerCondition`,
  'One aspect of the state of an autoscaler.',
  {
    type: str('Type.'),
    status: str('True, False or Unknown.'),
    lastTransitionTime: time('When status last changed.'),
    reason: str('Reason.'),
    message: str('Details.'),
  },
  { required: ['type', 'status'] },
);
type(
  `${AS2}HorizontalPodAutoscalerStatus`,
  'Observed state of an autoscaler.',
  {
    observedGeneration: i64('Generation last acted on.'),
    lastScaleTime: time('When it last scaled.'),
    currentReplicas: int('Current replicas.'),
    desiredReplicas: int('Desired replicas.'),
    currentMetrics: arr(ref(`${AS2}MetricStatus`), 'Current metric values.'),
    conditions: keyed(ref(`${AS2}HorizontalPodAutoscalerCondition`), ['type'], 'Conditions.'),
  },
  { required: ['desiredReplicas'] },
);
kindWithList(`${AS2}HorizontalPodAutoscaler`, gv('autoscaling', 'v2')('HorizontalPodAutoscaler'), 'Scales a workload by metrics.', {
  spec: ref(`${AS2}HorizontalPodAutoscalerSpec`, 'Desired state.'),
  status: ref(`${AS2}HorizontalPodAutoscalerStatus`, 'Observed state.'),
});
