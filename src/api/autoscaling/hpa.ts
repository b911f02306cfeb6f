import type { FieldError, KObject, ResourceDef, TableDef } from '../types.js';
import { fieldErr, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { DEFAULT_CPU_UTILIZATION, hpaV1ToV2 } from './hpa-convert.js';

const METRIC_TYPES = ['Object', 'Pods', 'Resource', 'External', 'ContainerResource'];
const SOURCE_FIELD: Record<string, string> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};
const SELECT_POLICIES = ['Max', 'Min', 'Disabled'];
const POLICY_TYPES = ['Pods', 'Percent'];
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_SECONDS = 3600;

// ---- Defaults (autoscaling/v2).

function scaleUpDefaults(): any {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

function scaleDownDefaults(): any {
  return { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };
}

/** Fields the user set win; the rest come from the defaults (copyHPAScalingRules). */
function mergeRules(from: any, to: any): any {
  if (!from) return to;
  if (from.selectPolicy != null) to.selectPolicy = from.selectPolicy;
  if (from.stabilizationWindowSeconds != null) to.stabilizationWindowSeconds = from.stabilizationWindowSeconds;
  if (from.policies != null) to.policies = from.policies;
  if (from.tolerance != null) to.tolerance = from.tolerance;
  return to;
}

export function defaultHPAv2(obj: KObject): void {
  const spec = (obj.spec ??= {});
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || !spec.metrics.length)
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  if (spec.behavior) {
    spec.behavior.scaleUp = mergeRules(spec.behavior.scaleUp, scaleUpDefaults());
    spec.behavior.scaleDown = mergeRules(spec.behavior.scaleDown, scaleDownDefaults());
  }
}

// ---- Validation (on the v2 shape, which is also how Kubernetes validates v1 requests).

function pathSegmentErrors(v: string): string[] {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  return ['/', '%'].filter((c) => v.includes(c)).map((c) => `may not contain '${c}'`);
}

function validateRef(ref: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = ref?.[f];
    if (!v) errs.push(fieldErr.required(`${path}.${f}`));
    else for (const m of pathSegmentErrors(String(v))) errs.push(fieldErr.invalid(`${path}.${f}`, v, m));
  }
  return errs;
}

/** The sign of a quantity string such as "500m" or "-1". */
function quantitySign(q: unknown): number {
  const n = parseFloat(String(q));
  return Number.isNaN(n) ? 0 : Math.sign(n);
}

function validateTarget(t: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const target = t ?? {};
  if (!target.type) errs.push(fieldErr.required(`${path}.type`, 'must specify a metric target type'));
  if (!['Utilization', 'Value', 'AverageValue'].includes(target.type))
    errs.push(fieldErr.invalid(`${path}.type`, target.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  if (target.value != null && quantitySign(target.value) !== 1) errs.push(fieldErr.invalid(`${path}.value`, target.value, 'must be positive'));
  if (target.averageValue != null && quantitySign(target.averageValue) !== 1)
    errs.push(fieldErr.invalid(`${path}.averageValue`, target.averageValue, 'must be positive'));
  if (target.averageUtilization != null && target.averageUtilization < 1)
    errs.push(fieldErr.invalid(`${path}.averageUtilization`, target.averageUtilization, 'must be greater than 0'));
  return errs;
}

function validateMetricName(metric: any, path: string): FieldError[] {
  const name = metric?.name;
  if (!name) return [fieldErr.required(`${path}.name`, 'must specify a metric name')];
  return pathSegmentErrors(String(name)).map((m) => fieldErr.invalid(`${path}.name`, name, m));
}

function validateSource(type: string, src: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const t = src?.target ?? {};
  const tp = `${path}.target`;
  switch (type) {
    case 'Resource':
    case 'ContainerResource':
      if (!src?.name) errs.push(fieldErr.required(`${path}.name`, 'must specify a resource name'));
      if (type === 'ContainerResource' && !src?.container) errs.push(fieldErr.required(`${path}.container`, 'must specify a container'));
      errs.push(...validateTarget(t, tp));
      if (t.averageUtilization == null && t.averageValue == null)
        errs.push(fieldErr.required(`${tp}.averageUtilization`, 'must set either a target raw value or a target utilization'));
      if (t.averageUtilization != null && t.averageValue != null)
        errs.push(fieldErr.forbidden(`${tp}.averageValue`, 'may not set both a target raw value and a target utilization'));
      break;
    case 'Pods':
      errs.push(...validateMetricName(src?.metric, `${path}.metric`), ...validateTarget(t, tp));
      if (t.averageValue == null) errs.push(fieldErr.required(`${tp}.averageValue`, 'must specify a positive target averageValue'));
      break;
    case 'Object':
      errs.push(
        ...validateRef(src?.describedObject, `${path}.describedObject`),
        ...validateMetricName(src?.metric, `${path}.metric`),
        ...validateTarget(t, tp),
      );
      if (t.value == null && t.averageValue == null) errs.push(fieldErr.required(`${tp}.averageValue`, 'must set either a target value or averageValue'));
      break;
    case 'External':
      errs.push(...validateMetricName(src?.metric, `${path}.metric`), ...validateTarget(t, tp));
      if (t.value == null && t.averageValue == null)
        errs.push(fieldErr.required(`${tp}.averageValue`, 'must set either a target value for metric or a per-pod target'));
      if (t.value != null && t.averageValue != null)
        errs.push(fieldErr.forbidden(`${tp}.value`, 'may not set both a target value for metric and a per-pod target'));
      break;
  }
  return errs;
}

function validateMetric(m: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!m?.type) errs.push(fieldErr.required(`${path}.type`, 'must specify a metric source type'));
  else if (!METRIC_TYPES.includes(m.type)) errs.push(fieldErr.notSupported(`${path}.type`, m.type, METRIC_TYPES));
  const present = Object.values(SOURCE_FIELD).filter((f) => m?.[f] != null);
  const expected = SOURCE_FIELD[m?.type];
  if (expected) {
    if (m[expected] == null) errs.push(fieldErr.required(`${path}.${expected}`, 'must populate information for the given metric source'));
    else errs.push(...validateSource(m.type, m[expected], `${path}.${expected}`));
  }
  for (const f of present) if (f !== expected) errs.push(fieldErr.forbidden(`${path}.${f}`, 'must populate the given metric source only'));
  return errs;
}

function validateRules(rules: any, path: string): FieldError[] {
  if (!rules) return [];
  const errs: FieldError[] = [];
  const w = rules.stabilizationWindowSeconds;
  if (w != null && w < 0) errs.push(fieldErr.invalid(`${path}.stabilizationWindowSeconds`, w, 'must be greater than or equal to zero'));
  if (w != null && w > MAX_STABILIZATION_SECONDS)
    errs.push(fieldErr.invalid(`${path}.stabilizationWindowSeconds`, w, `must be less than or equal to ${MAX_STABILIZATION_SECONDS}`));
  if (rules.selectPolicy != null && !SELECT_POLICIES.includes(rules.selectPolicy))
    errs.push(fieldErr.notSupported(`${path}.selectPolicy`, rules.selectPolicy, SELECT_POLICIES));
  const policies: any[] = Array.isArray(rules.policies) ? rules.policies : [];
  if (!policies.length) errs.push(fieldErr.required(`${path}.policies`, 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    const pp = `${path}.policies[${i}]`;
    if (!POLICY_TYPES.includes(p?.type)) errs.push(fieldErr.notSupported(`${pp}.type`, p?.type ?? '', POLICY_TYPES));
    if (!(p?.value > 0)) errs.push(fieldErr.invalid(`${pp}.value`, p?.value ?? 0, 'must be greater than zero'));
    if (!(p?.periodSeconds > 0)) errs.push(fieldErr.invalid(`${pp}.periodSeconds`, p?.periodSeconds ?? 0, 'must be greater than zero'));
    if (p?.periodSeconds > MAX_PERIOD_SECONDS)
      errs.push(fieldErr.invalid(`${pp}.periodSeconds`, p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
  });
  return errs;
}

export function validateHPAv2(obj: KObject): FieldError[] {
  const s = obj.spec ?? {};
  const errs: FieldError[] = [];
  if (s.minReplicas != null && s.minReplicas < 1) errs.push(fieldErr.invalid('spec.minReplicas', s.minReplicas, 'must be greater than or equal to 1'));
  const max = s.maxReplicas ?? 0;
  if (max < 1) errs.push(fieldErr.invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (s.minReplicas != null && max < s.minReplicas) errs.push(fieldErr.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateRef(s.scaleTargetRef, 'spec.scaleTargetRef'));
  (Array.isArray(s.metrics) ? s.metrics : []).forEach((m: any, i: number) => {
    errs.push(...validateMetric(m, `spec.metrics[${i}]`));
  });
  if (s.behavior) errs.push(...validateRules(s.behavior.scaleUp, 'spec.behavior.scaleUp'), ...validateRules(s.behavior.scaleDown, 'spec.behavior.scaleDown'));
  return errs;
}

function validateHPAStatus(obj: KObject): FieldError[] {
  return [
    ...validateNonNegative(obj.status?.currentReplicas, 'status.currentReplicas'),
    ...validateNonNegative(obj.status?.desiredReplicas, 'status.desiredReplicas'),
  ];
}

// ---- Table.

function q(v: unknown): string {
  return v === undefined || v === null ? '<nil>' : String(v);
}

/** formatHPAMetrics: up to two targets as current/target, then `+ N more...`. */
export function formatHPAMetrics(specs: any[] | undefined, statuses: any[] | undefined): string {
  const sp = Array.isArray(specs) ? specs : [];
  const st = Array.isArray(statuses) ? statuses : [];
  if (!sp.length) return '<none>';
  const list = sp.map((spec, i) => {
    const status = st[i];
    switch (spec?.type) {
      case 'External':
      case 'Object': {
        const f = spec.type === 'External' ? 'external' : 'object';
        const target = spec[f]?.target ?? {};
        const cur = status?.[f];
        if (target.averageValue != null)
          return `${cur?.current?.averageValue != null ? String(cur.current.averageValue) : '<unknown>'}/${target.averageValue} (avg)`;
        return `${cur ? q(cur.current?.value) : '<unknown>'}/${q(target.value)}`;
      }
      case 'Pods':
        return `${status?.pods ? q(status.pods.current?.averageValue) : '<unknown>'}/${q(spec.pods?.target?.averageValue)}`;
      case 'Resource':
      case 'ContainerResource': {
        const f = spec.type === 'Resource' ? 'resource' : 'containerResource';
        const src = spec[f] ?? {};
        const cur = status?.[f];
        if (src.target?.averageValue != null) return `${src.name}: ${cur ? q(cur.current?.averageValue) : '<unknown>'}/${src.target.averageValue}`;
        const current = cur?.current?.averageUtilization != null ? `${cur.current.averageUtilization}%` : '<unknown>';
        const target = src.target?.averageUtilization != null ? `${src.target.averageUtilization}%` : '<auto>';
        return `${src.name}: ${current}/${target}`;
      }
      default:
        return '<unknown type>';
    }
  });
  const max = 2;
  return list.length > max ? `${list.slice(0, max).join(', ')} + ${list.length - max} more...` : list.join(', ');
}

function hpaRow(o: KObject, now: number): unknown[] {
  const spec = o.spec ?? {};
  const ref = spec.scaleTargetRef ?? {};
  return [
    o.metadata?.name,
    `${ref.kind ?? ''}/${ref.name ?? ''}`,
    formatHPAMetrics(spec.metrics, o.status?.currentMetrics),
    spec.minReplicas != null ? String(spec.minReplicas) : '<unset>',
    spec.maxReplicas ?? 0,
    o.status?.currentReplicas ?? 0,
    age(o.metadata?.creationTimestamp, now),
  ];
}

const HPA_COLUMNS: TableDef['columns'] = [
  NAME_COLUMN,
  {
    name: 'Reference',
    type: 'string',
    description:
      'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
    priority: 0,
  },
  {
    name: 'Targets',
    type: 'string',
    description:
      'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).',
    priority: 0,
  },
  {
    name: 'MinPods',
    type: 'string',
    description: 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
    priority: 0,
  },
  {
    name: 'MaxPods',
    type: 'string',
    description: 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.',
    priority: 0,
  },
  { name: 'Replicas', type: 'string', description: 'currentReplicas is current number of replicas of pods managed by this autoscaler.', priority: 0 },
  AGE_COLUMN,
];

const common = {
  group: 'autoscaling',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  subresources: { status: true },
  validateStatusUpdate: validateHPAStatus,
} as const;

export const horizontalpodautoscalersV2: ResourceDef = {
  ...common,
  shortNames: [...common.shortNames],
  categories: [...common.categories],
  subresources: { ...common.subresources },
  version: 'v2',
  defaults: defaultHPAv2,
  prepareForCreate(obj) {
    obj.status = { desiredReplicas: 0 };
  },
  validate: validateHPAv2,
  table: { columns: HPA_COLUMNS, row: hpaRow },
};

export const horizontalpodautoscalersV1: ResourceDef = {
  ...common,
  shortNames: [...common.shortNames],
  categories: [...common.categories],
  subresources: { ...common.subresources },
  version: 'v1',
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.minReplicas ??= 1;
  },
  prepareForCreate(obj) {
    obj.status = { currentReplicas: 0, desiredReplicas: 0 };
  },
  validate: (obj) => validateHPAv2(hpaV1ToV2(obj)),
  table: { columns: HPA_COLUMNS, row: (o, now) => hpaRow(hpaV1ToV2(o), now) },
};
