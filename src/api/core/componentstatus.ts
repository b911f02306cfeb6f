import type { ResourceDef } from '../types.js';
import { NAME_COLUMN } from '../table.js';
import { asArray } from './validate-helpers.js';

const col = (name: string, description: string) => ({ name, type: 'string' as const, description, priority: 0 });

/** Read-only: the apiserver synthesises these from its own health checks. */
export const componentstatuses: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ComponentStatus',
  plural: 'componentstatuses',
  singular: 'componentstatus',
  namespaced: false,
  shortNames: ['cs'],
  verbs: ['get', 'list'],
  table: {
    columns: [
      NAME_COLUMN,
      col('Status', 'Status of the component conditions'),
      col('Message', 'Message of the component conditions'),
      col('Error', 'Error of the component conditions'),
    ],
    row(cs) {
      const healthy = asArray(cs.conditions).find((c: any) => c?.type === 'Healthy');
      const status = healthy ? (healthy.status === 'True' ? 'Healthy' : 'Unhealthy') : 'Unknown';
      return [cs.metadata?.name, status, healthy?.message ?? '', healthy?.error ?? ''];
    },
  },
};
