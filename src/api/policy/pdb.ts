import type { FieldError, ResourceDef } from '../types.js';
import { fieldErr, validateLabelSelector, validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { intOrStringText, notMoreThan100Percent, validateIntOrPercent } from '../apps/pod-template.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

export function validatePDBSpec(spec: any): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (s.minAvailable != null && s.maxUnavailable != null) errs.push(fieldErr.invalid('spec', s, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable'])
    if (s[f] != null) errs.push(...validateIntOrPercent(s[f], `spec.${f}`), ...notMoreThan100Percent(s[f], `spec.${f}`));
  errs.push(...validateLabelSelector(s.selector, 'spec.selector'));
  if (s.unhealthyPodEvictionPolicy != null && !EVICTION_POLICIES.includes(s.unhealthyPodEvictionPolicy))
    errs.push(fieldErr.notSupported('spec.unhealthyPodEvictionPolicy', s.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  return errs;
}

export const poddisruptionbudgets: ResourceDef = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  subresources: { status: true },
  generation: true,
  prepareForCreate(obj) {
    obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    obj.metadata!.generation = 1;
  },
  validate: (obj) => validatePDBSpec(obj.spec),
  validateStatusUpdate: (obj) =>
    ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods', 'observedGeneration'].flatMap((n) =>
      validateNonNegative(obj.status?.[n], `status.${n}`),
    ),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Min Available', type: 'string', description: 'The minimum number of pods that must be available.', priority: 0 },
      { name: 'Max Unavailable', type: 'string', description: 'The maximum number of pods that may be unavailable.', priority: 0 },
      { name: 'Allowed Disruptions', type: 'integer', description: 'Calculated number of pods that may be disrupted at this time.', priority: 0 },
      AGE_COLUMN,
    ],
    row: (o, now) => [
      o.metadata?.name,
      o.spec?.minAvailable != null ? intOrStringText(o.spec.minAvailable) : 'N/A',
      o.spec?.maxUnavailable != null ? intOrStringText(o.spec.maxUnavailable) : 'N/A',
      o.status?.disruptionsAllowed ?? 0,
      age(o.metadata?.creationTimestamp, now),
    ],
  },
};
