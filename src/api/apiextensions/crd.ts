// CustomResourceDefinition (apiextensions.k8s.io/v1): the object itself — its defaults,
// the strategy that keeps status.storedVersions, and the finalizer that holds a deleted
// definition until its custom objects are gone. Serving the resources it defines is the
// apiserver's CRD controller's job (src/apiserver/crd).
import type { KObject, ResourceDef } from '../types.js';
import { validateCRD, validateCRDStatus, validateCRDUpdate } from './crd-validation.js';
import { formatTime } from '../../util/time.js';

export const CRD_GROUP = 'apiextensions.k8s.io';
/** Held on a CRD being deleted until every object of its resource is gone. */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export interface CRDCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

function defaultSchemaProps(s: any): void {
  if (!s || typeof s !== 'object') return;
  for (const key of ['properties', 'patternProperties', 'definitions'])
    if (s[key] && typeof s[key] === 'object') for (const v of Object.values(s[key])) defaultSchemaProps(v);
  for (const key of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[key])) s[key].forEach(defaultSchemaProps);
  if (s.items) (Array.isArray(s.items) ? s.items : [s.items]).forEach(defaultSchemaProps);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') defaultSchemaProps(s.additionalProperties);
  if (s.not) defaultSchemaProps(s.not);
}

export function defaultCRD(obj: KObject): void {
  const spec = (obj.spec ??= {});
  if (typeof spec !== 'object') return;
  spec.conversion ??= { strategy: 'None' };
  if (spec.conversion && typeof spec.conversion === 'object') {
    spec.conversion.strategy ??= 'None';
    const svc = spec.conversion.webhook?.clientConfig?.service;
    if (svc && typeof svc === 'object') svc.port ??= 443;
  }
  const names = spec.names;
  if (names && typeof names === 'object' && typeof names.kind === 'string') {
    if (!names.singular) names.singular = names.kind.toLowerCase();
    if (!names.listKind) names.listKind = `${names.kind}List`;
  }
  if (Array.isArray(spec.versions))
    for (const v of spec.versions) {
      if (!v || typeof v !== 'object') continue;
      defaultSchemaProps(v.schema?.openAPIV3Schema);
      if (Array.isArray(v.additionalPrinterColumns)) for (const c of v.additionalPrinterColumns) if (c && typeof c === 'object') c.priority ??= 0;
    }
}

function storageVersion(obj: KObject): string | undefined {
  const vs = obj.spec?.versions;
  return Array.isArray(vs) ? vs.find((v: any) => v?.storage === true)?.name : undefined;
}

/** A storage version, once used, stays listed until an operator migrates and removes it. */
function recordStoredVersion(obj: KObject): void {
  const sv = storageVersion(obj);
  if (!sv) return;
  obj.status = obj.status && typeof obj.status === 'object' ? obj.status : {};
  const stored: string[] = Array.isArray(obj.status.storedVersions) ? obj.status.storedVersions : [];
  if (!stored.includes(sv)) obj.status.storedVersions = [...stored, sv];
}

/** Sets or replaces one condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(obj: KObject, cond: CRDCondition, now: string): void {
  obj.status = obj.status && typeof obj.status === 'object' ? obj.status : {};
  const conds: CRDCondition[] = Array.isArray(obj.status.conditions) ? obj.status.conditions : [];
  const old = conds.find((c) => c.type === cond.type);
  const next = { ...cond, lastTransitionTime: old && old.status === cond.status ? old.lastTransitionTime : now };
  obj.status.conditions = old ? conds.map((c) => (c.type === cond.type ? next : c)) : [...conds, next];
}

export function conditionOf(obj: KObject, type: string): CRDCondition | undefined {
  const conds = obj.status?.conditions;
  return Array.isArray(conds) ? conds.find((c: CRDCondition) => c.type === type) : undefined;
}

export const customresourcedefinitions: ResourceDef = {
  group: CRD_GROUP,
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  subresources: { status: true },
  generation: true,
  defaults: defaultCRD,
  prepareForCreate(obj) {
    obj.status = {};
    recordStoredVersion(obj);
    obj.status.acceptedNames = { kind: '', plural: '' };
    obj.status.conditions = [];
  },
  prepareForUpdate(obj) {
    recordStoredVersion(obj);
  },
  validate: validateCRD,
  validateUpdate: validateCRDUpdate,
  validateStatusUpdate: validateCRDStatus,
  // The first DELETE only marks the definition; the CRD controller deletes the objects
  // and then drops the finalizer, which removes the definition.
  finalizersPending(obj) {
    return !obj.metadata?.deletionTimestamp;
  },
  onDeletionMarked(obj) {
    const meta = obj.metadata!;
    const finalizers: string[] = meta.finalizers ?? [];
    if (!finalizers.includes(CLEANUP_FINALIZER)) meta.finalizers = [...finalizers, CLEANUP_FINALIZER];
    setCondition(
      obj,
      {
        type: 'Terminating',
        status: 'True',
        reason: 'InstanceDeletionPending',
        message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
      },
      formatTime(),
    );
  },
};
