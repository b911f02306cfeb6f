import type { FieldError, KObject, ResourceDef } from '../types.js';
import { fieldErr, immutable } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** Priorities above this are reserved for the system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000;

/** The built-in classes the apiserver creates at startup. */
export const SYSTEM_PRIORITY_CLASSES: KObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
    preemptionPolicy: 'PreemptLowerPriority',
  },
];

const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

/** IsKnownSystemPriorityClass: undefined when it is one, else the reason. */
function systemClassError(name: string, value: unknown, globalDefault: boolean): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.metadata!.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${known.value}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

export function validatePriorityClass(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = String(obj.metadata?.name ?? '');
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const err = systemClassError(name, obj.value ?? 0, obj.globalDefault === true);
    if (err)
      errs.push(
        fieldErr.forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${err}`,
        ),
      );
  } else if ((obj.value ?? 0) > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldErr.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (obj.preemptionPolicy != null && !PREEMPTION_POLICIES.includes(obj.preemptionPolicy))
    errs.push(fieldErr.notSupported('preemptionPolicy', obj.preemptionPolicy, PREEMPTION_POLICIES));
  return errs;
}

export const priorityclasses: ResourceDef = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  defaults(obj) {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate: validatePriorityClass,
  validateUpdate(obj, old) {
    const errs = (obj.value ?? 0) !== (old.value ?? 0) ? [fieldErr.forbidden('value', 'may not be changed in an update.')] : [];
    return [...errs, ...immutable(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy')];
  },
  table: {
    columns: [
      NAME_COLUMN,
      {
        name: 'Value',
        type: 'integer',
        description:
          'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
        priority: 0,
      },
      {
        name: 'Global-Default',
        type: 'boolean',
        description:
          'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
        priority: 0,
      },
      AGE_COLUMN,
      {
        name: 'PreemptionPolicy',
        type: 'string',
        description:
          'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
        priority: 0,
      },
    ],
    row: (o, now) => [o.metadata?.name, o.value ?? 0, o.globalDefault === true, age(o.metadata?.creationTimestamp, now), o.preemptionPolicy ?? ''],
  },
};
