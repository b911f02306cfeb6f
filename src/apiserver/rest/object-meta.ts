// ObjectMeta rules shared by every resource: what the server fills in on create,
// what a client may not change on update, and how metadata is validated.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FieldError, KObject, ResourceDef } from '../../api/types.js';
import { fieldErr, immutable, isDNS1123Label, isDNS1123Subdomain, jsonEqual, validateAnnotations, validateLabels } from '../../api/validation.js';
import { formatTime } from '../../util/time.js';

// The alphabet Kubernetes uses for generated names: no vowels, no look-alikes.
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateNameSuffix(): string {
  const bytes = randomBytes(5);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return s;
}

/** Fills the server-owned metadata of an object being created. */
export function prepareMetaForCreate(def: ResourceDef, obj: KObject): void {
  const meta = obj.metadata!;
  if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
    const base = meta.generateName.length > 58 ? meta.generateName.slice(0, 58) : meta.generateName;
    meta.name = base + generateNameSuffix();
  }
  meta.uid = randomUUID();
  meta.creationTimestamp = formatTime();
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  if (def.generation) meta.generation = 1;
  else delete meta.generation;
}

/** Carries the fields a client may not set on update from the stored object. */
export function carryMetaOnUpdate(def: ResourceDef, obj: KObject, old: KObject): void {
  const meta = obj.metadata!;
  const o = old.metadata!;
  meta.uid = o.uid;
  meta.creationTimestamp = o.creationTimestamp;
  if (o.deletionTimestamp) meta.deletionTimestamp = o.deletionTimestamp;
  else delete meta.deletionTimestamp;
  if (o.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
  else delete meta.deletionGracePeriodSeconds;
  if (def.generation) meta.generation = o.generation ?? 1;
  else delete meta.generation;
  delete meta.selfLink;
}

function withoutMetaAndStatus(obj: KObject): KObject {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/** Bumps metadata.generation when anything but metadata and status changed (the spec, in practice). */
export function bumpGeneration(def: ResourceDef, obj: KObject, old: KObject): void {
  if (!def.generation) return;
  if (!jsonEqual(withoutMetaAndStatus(obj), withoutMetaAndStatus(old))) obj.metadata!.generation = (old.metadata?.generation ?? 1) + 1;
}

/** ObjectMeta validation on create (and, with `old`, on update). */
export function validateObjectMeta(def: ResourceDef, obj: KObject, old?: KObject): FieldError[] {
  const meta = obj.metadata ?? {};
  const errs: FieldError[] = [];
  if (!meta.name) {
    errs.push(fieldErr.required('metadata.name', 'name or generateName is required'));
  } else if (typeof meta.name !== 'string') {
    errs.push(fieldErr.typeInvalid('metadata.name', meta.name, 'must be a string'));
  } else {
    const check = def.validateName ?? isDNS1123Subdomain;
    for (const m of check(meta.name)) errs.push(fieldErr.invalid('metadata.name', meta.name, m));
  }
  if (meta.generateName !== undefined && typeof meta.generateName === 'string' && meta.generateName && !meta.name) {
    for (const m of isDNS1123Subdomain(`${meta.generateName}x`)) errs.push(fieldErr.invalid('metadata.generateName', meta.generateName, m));
  }
  if (def.namespaced) {
    if (!meta.namespace) errs.push(fieldErr.required('metadata.namespace'));
    else for (const m of isDNS1123Label(meta.namespace)) errs.push(fieldErr.invalid('metadata.namespace', meta.namespace, m));
  } else if (meta.namespace) {
    errs.push(fieldErr.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  if (meta.finalizers !== undefined) {
    if (!Array.isArray(meta.finalizers)) errs.push(fieldErr.typeInvalid('metadata.finalizers', meta.finalizers, 'must be a list of strings'));
    else
      meta.finalizers.forEach((f: unknown, i: number) => {
        if (typeof f !== 'string' || !f) errs.push(fieldErr.invalid(`metadata.finalizers[${i}]`, f, 'must be a non-empty string'));
      });
  }
  if (meta.ownerReferences !== undefined) {
    if (!Array.isArray(meta.ownerReferences)) errs.push(fieldErr.typeInvalid('metadata.ownerReferences', meta.ownerReferences, 'must be a list'));
    else
      meta.ownerReferences.forEach((r: any, i: number) => {
        const p = `metadata.ownerReferences[${i}]`;
        if (!r?.apiVersion) errs.push(fieldErr.invalid(`${p}.apiVersion`, r?.apiVersion ?? '', 'version must not be empty'));
        if (!r?.kind) errs.push(fieldErr.invalid(`${p}.kind`, r?.kind ?? '', 'kind must not be empty'));
        if (!r?.name) errs.push(fieldErr.invalid(`${p}.name`, r?.name ?? '', 'name must not be empty'));
        if (!r?.uid) errs.push(fieldErr.invalid(`${p}.uid`, r?.uid ?? '', 'uid must not be empty'));
      });
  }
  if (old) {
    errs.push(...immutable(meta.name, old.metadata?.name, 'metadata.name'));
    if (def.namespaced) errs.push(...immutable(meta.namespace, old.metadata?.namespace, 'metadata.namespace'));
    if (old.metadata?.deletionTimestamp) {
      const before = new Set<string>(old.metadata.finalizers ?? []);
      for (const f of meta.finalizers ?? []) {
        if (!before.has(f)) {
          errs.push(
            fieldErr.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{"${f}"}`),
          );
          break;
        }
      }
    }
  }
  return errs;
}
