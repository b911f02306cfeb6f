import type { ResourceDef } from '../types.js';
import { NAME_COLUMN } from '../table.js';
import { defaultPodTemplate } from './pod-defaults.js';
import { validatePodTemplate } from './pod-validation.js';
import { asArray, formatLabelsSorted } from './validate-helpers.js';

/** The CONTAINERS and IMAGES cells of workload tables: names and images joined by commas. */
export function containerCells(containers: unknown): [string, string] {
  const list = asArray(containers);
  return [list.map((c: any) => c?.name ?? '').join(','), list.map((c: any) => c?.image ?? '').join(',')];
}

export const podtemplates: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PodTemplate',
  plural: 'podtemplates',
  singular: 'podtemplate',
  namespaced: true,
  defaults(obj) {
    defaultPodTemplate(obj.template ?? (obj.template = {}));
  },
  validate: (obj) => validatePodTemplate(obj.template, 'template'),
  table: {
    columns: [
      NAME_COLUMN,
      { name: 'Containers', type: 'string', description: 'Names of each container in the template.', priority: 0 },
      { name: 'Images', type: 'string', description: 'Images referenced by each container in the template.', priority: 0 },
      { name: 'Pod Labels', type: 'string', description: 'The labels for the pod template.', priority: 0 },
    ],
    row(obj) {
      const [names, images] = containerCells(obj.template?.spec?.containers);
      return [obj.metadata?.name, names, images, formatLabelsSorted(obj.template?.metadata?.labels)];
    },
  },
};
