import type { FieldError, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr } from '../validation.js';
import { asArray } from './validate-helpers.js';

export const serviceaccounts: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  validate(sa) {
    const errs: FieldError[] = [];
    for (const k of ['secrets', 'imagePullSecrets'] as const)
      if (sa[k] !== undefined && sa[k] !== null && !Array.isArray(sa[k])) errs.push(fieldErr.typeInvalid(k, sa[k], 'must be a list'));
    asArray(sa.imagePullSecrets).forEach((s: any, i) => {
      if (!s?.name) errs.push(fieldErr.required(`imagePullSecrets[${i}].name`));
    });
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      {
        name: 'Secrets',
        type: 'string',
        description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
        priority: 0,
      },
      AGE_COLUMN,
    ],
    row: (sa, now) => [sa.metadata?.name, asArray(sa.secrets).length, age(sa.metadata?.creationTimestamp, now)],
  },
};
