import type { FieldError, ResourceDef } from '../types.js';
import { validateNonNegative } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { formatLabelSelector, selectorString } from './selector.js';
import {
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  containerCells,
  defaultTemplateOf,
  selectorColumn,
  validateReplicaStatus,
  validateSelectorAndTemplate,
} from './pod-template.js';
import { immutableSelector } from './deployment.js';

export function validateReplicaSetSpec(spec: any, path = 'spec'): FieldError[] {
  const s = spec ?? {};
  return [
    ...validateNonNegative(s.replicas, `${path}.replicas`),
    ...validateNonNegative(s.minReadySeconds, `${path}.minReadySeconds`),
    // Kubernetes says "deployment" here too.
    ...validateSelectorAndTemplate(s, path, 'deployment', 'ReplicaSet'),
  ];
}

export const replicasets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  subresources: {
    status: true,
    scale: { statusReplicasPath: ['status', 'replicas'], selector: (o) => selectorString(o.spec?.selector) ?? '' },
  },
  generation: true,
  defaults(obj) {
    const spec = (obj.spec ??= {});
    spec.replicas ??= 1;
    defaultTemplateOf(spec);
  },
  prepareForCreate(obj) {
    obj.status = { replicas: 0 };
    obj.metadata!.generation = 1;
  },
  validate: (obj) => validateReplicaSetSpec(obj.spec),
  validateUpdate: immutableSelector,
  validateStatusUpdate: (obj) =>
    validateReplicaStatus(
      obj.status,
      ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
      ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
    ),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Desired', type: 'integer', description: 'Replicas is the number of desired replicas.', priority: 0 },
      { name: 'Current', type: 'integer', description: 'Replicas is the most recently observed number of replicas.', priority: 0 },
      { name: 'Ready', type: 'integer', description: 'The number of ready replicas for this replica set.', priority: 0 },
      AGE_COLUMN,
      CONTAINERS_COLUMN,
      IMAGES_COLUMN,
      selectorColumn('Selector is a label query over pods that should match the replica count.'),
    ],
    row(o, now) {
      const st = o.status ?? {};
      const [names, images] = containerCells(o.spec?.template?.spec);
      return [
        o.metadata?.name,
        o.spec?.replicas ?? 0,
        st.replicas ?? 0,
        st.readyReplicas ?? 0,
        age(o.metadata?.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(o.spec?.selector),
      ];
    },
  },
};
