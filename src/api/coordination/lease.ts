import type { FieldError, ResourceDef } from '../types.js';
import { fieldErr } from '../validation.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';

const STRATEGIES = ['OldestEmulationVersion'];

export function validateLeaseSpec(spec: any): FieldError[] {
  const s = spec ?? {};
  const errs: FieldError[] = [];
  if (s.leaseDurationSeconds != null && !(s.leaseDurationSeconds > 0))
    errs.push(fieldErr.invalid('spec.leaseDurationSeconds', s.leaseDurationSeconds, 'must be greater than 0'));
  if (s.leaseTransitions != null && s.leaseTransitions < 0)
    errs.push(fieldErr.invalid('spec.leaseTransitions', s.leaseTransitions, 'must be greater than or equal to 0'));
  if (s.strategy != null && !STRATEGIES.includes(s.strategy)) errs.push(fieldErr.notSupported('spec.strategy', s.strategy, STRATEGIES));
  if (s.preferredHolder && !s.strategy) errs.push(fieldErr.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  return errs;
}

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  allowCreateOnUpdate: true,
  singular: 'lease',
  namespaced: true,
  validate: (obj) => validateLeaseSpec(obj.spec),
  table: {
    columns: [
      NAME_COLUMN,
      {
        name: 'Holder',
        type: 'string',
        description:
          'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
        priority: 0,
      },
      AGE_COLUMN,
    ],
    row: (o, now) => [o.metadata?.name, o.spec?.holderIdentity ?? '', age(o.metadata?.creationTimestamp, now)],
  },
};
