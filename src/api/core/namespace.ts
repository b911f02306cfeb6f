import type { FieldError, ResourceDef } from '../types.js';
import { AGE_COLUMN, NAME_COLUMN, age } from '../table.js';
import { fieldErr, isDNS1123Label, isQualifiedName } from '../validation.js';
import { asArray, isObject } from './validate-helpers.js';

/** The label every namespace carries with its own name, so selectors can pick namespaces by name. */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];

function validateFinalizers(finalizers: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of asArray(finalizers)) {
    const s = String(f);
    for (const m of isQualifiedName(s)) errs.push(fieldErr.invalid('spec.finalizers', s, m));
    if (!s.includes('/') && !STANDARD_FINALIZERS.includes(s))
      errs.push(fieldErr.invalid('spec.finalizers', s, 'name is neither a standard finalizer name nor is it fully qualified'));
  }
  return errs;
}

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  // No deletecollection: one request must not be able to delete every namespace.
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: true },
  validateName: isDNS1123Label,
  defaults(ns) {
    const name = ns.metadata?.name;
    if (name) {
      ns.metadata!.labels = { ...(ns.metadata!.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
    }
    if (!isObject(ns.status)) ns.status = {};
    if (!ns.status.phase) ns.status.phase = 'Active';
  },
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    if (!isObject(ns.spec)) ns.spec = {};
    const finalizers: string[] = asArray(ns.spec.finalizers);
    if (!finalizers.includes('kubernetes')) ns.spec.finalizers = [...finalizers, 'kubernetes'];
  },
  prepareForUpdate(ns, old) {
    // Spec finalizers change only through the namespaces/finalize subresource.
    ns.spec = { ...(ns.spec ?? {}) };
    if (old.spec?.finalizers !== undefined) ns.spec.finalizers = old.spec.finalizers;
    else delete ns.spec.finalizers;
  },
  // spec.finalizers hold a deleted namespace until the namespace controller has emptied it.
  finalizersPending: (ns) => asArray(ns.spec?.finalizers).length > 0,
  onDeletionMarked(ns) {
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
  },
  validate: (ns) => validateFinalizers(ns.spec?.finalizers),
  validateStatusUpdate(ns) {
    const phase = ns.status?.phase;
    if (!ns.metadata?.deletionTimestamp) {
      if (phase !== 'Active') return [fieldErr.invalid('status.Phase', phase ?? '', "may only be 'Active' if `deletionTimestamp` is empty")];
    } else if (phase !== 'Terminating') {
      return [fieldErr.invalid('status.Phase', phase ?? '', "may only be 'Terminating' if `deletionTimestamp` is not empty")];
    }
    return [];
  },
  table: {
    columns: [NAME_COLUMN, { name: 'Status', type: 'string', description: 'The status of the namespace', priority: 0 }, AGE_COLUMN],
    row: (ns, now) => [ns.metadata?.name, ns.status?.phase ?? '', age(ns.metadata?.creationTimestamp, now)],
  },
  fieldSelectors: {
    'status.phase': (ns) => ns.status?.phase ?? '',
    name: (ns) => ns.metadata?.name,
  },
};
