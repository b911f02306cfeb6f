// The write options of a request (dryRun, fieldManager, DeleteOptions) read and validated
// as kube-apiserver validates them, and the Status a successful delete answers.
import type { KObject, ResourceDef } from '../api/types.js';
import { queryFlag } from '../util/query-bool.js';
import { managerFromUserAgent, validateFieldManager } from './rest/managed-fields.js';
import { PATCH_TYPES } from './rest/patch.js';
import type { DeleteOptions } from './rest/resource-store.js';
import { errors } from './status.js';
import type { ApiRequest } from './types.js';

/** ?dryRun=All; any other value fails the request's options validation (422, as Kubernetes' ValidateDryRun). */
export function dryRun(q: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions'): boolean {
  const values = q.getAll('dryRun');
  if (values.some((v) => v !== 'All'))
    throw errors.invalid('meta.k8s.io', options, '', [
      {
        type: 'FieldValueNotSupported',
        field: 'dryRun',
        message: `Unsupported value: []string{${values.map((v) => JSON.stringify(v)).join(', ')}}: supported values: "All"`,
      },
    ]);
  return values.length > 0;
}

/** ?fieldManager, else the user agent's name; validated as Kubernetes validates the options. */
export function fieldManager(req: ApiRequest, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions'): string {
  const given = req.query.get('fieldManager');
  const apply = options === 'PatchOptions' && req.patchType === PATCH_TYPES.apply;
  const force = req.query.get('force');
  if (options === 'PatchOptions' && !apply && force !== null)
    throw errors.invalid('meta.k8s.io', options, '', [
      { type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' },
    ]);
  if (apply && !given)
    throw errors.invalid('meta.k8s.io', options, '', [
      { type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' },
    ]);
  if (given !== null) validateFieldManager(given, options);
  return given || managerFromUserAgent(req.userAgent);
}

export function successStatus(def: ResourceDef, obj: KObject): KObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata?.name, group: def.group || undefined, kind: def.plural, uid: obj.metadata?.uid },
  };
}

export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, any>;
  const grace = q.get('gracePeriodSeconds') ?? b.gracePeriodSeconds;
  const opts: DeleteOptions = { dryRun: dryRun(q, 'DeleteOptions') || (Array.isArray(b.dryRun) && b.dryRun.includes('All')) };
  if (grace !== undefined && grace !== null) {
    const n = Number(grace);
    if (!Number.isInteger(n)) throw errors.badRequest(`invalid gracePeriodSeconds: ${grace}`);
    // Negative values count as 1s on the delete path (Kubernetes' rest.BeforeDelete).
    opts.gracePeriodSeconds = n < 0 ? 1 : n;
  }
  const policy = q.get('propagationPolicy') ?? b.propagationPolicy;
  if (policy !== undefined && policy !== null) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy))
      throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [
        {
          type: 'FieldValueNotSupported',
          field: 'propagationPolicy',
          message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
        },
      ]);
    opts.propagationPolicy = policy;
  }
  if (q.has('orphanDependents')) opts.orphanDependents = queryFlag(q, 'orphanDependents');
  else if (typeof b.orphanDependents === 'boolean') opts.orphanDependents = b.orphanDependents;
  if (b.preconditions) opts.preconditions = b.preconditions;
  return opts;
}
