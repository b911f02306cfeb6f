// Validation of a write through pods/ephemeralcontainers, after Kubernetes'
// ValidatePodEphemeralContainersUpdate: debug containers may be added, never changed or removed.
import type { FieldError, KObject } from '../types.js';
import { fieldErr, jsonEqual } from '../validation.js';
import { asArray, isObject, jsonDiff, notFound } from './validate-helpers.js';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Checks of ephemeral containers that need the rest of the spec (validateEphemeralContainers). */
export function validateEphemeralContainerRefs(spec: any, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set([...asArray(spec?.containers), ...asArray(spec?.initContainers)].map((c: any) => c?.name));
  asArray(spec?.ephemeralContainers).forEach((c: any, i) => {
    if (!isObject(c)) return;
    const ip = `${path}[${i}]`;
    if (c.targetContainerName && !others.has(c.targetContainerName)) errs.push(notFound(`${ip}.targetContainerName`, c.targetContainerName));
    // Ephemeral containers are no part of the workload: no resources, no subPath bind mounts.
    if (isObject(c.resources) && Object.values(c.resources).some((v) => v !== undefined && v !== null && !(isObject(v) && !Object.keys(v).length)))
      errs.push(fieldErr.forbidden(`${ip}.resources`, 'cannot be set for an Ephemeral Container'));
    asArray(c.volumeMounts).forEach((m: any, j) => {
      for (const k of ['subPath', 'subPathExpr'])
        if (m?.[k]) errs.push(fieldErr.forbidden(`${ip}.volumeMounts[${j}].${k}`, 'cannot be set for an Ephemeral Container'));
    });
  });
  return errs;
}

export function validatePodEphemeralContainersUpdate(pod: KObject, old: KObject): FieldError[] {
  if (old.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return [fieldErr.forbidden('', 'static pods do not support ephemeral containers')];
  const errs: FieldError[] = [];
  const path = 'spec.ephemeralContainers';
  // A patch need not keep the order, so containers are matched by name.
  const byName = new Map(asArray(pod.spec?.ephemeralContainers).map((c: any) => [c?.name, c]));
  for (const o of asArray(old.spec?.ephemeralContainers) as any[]) {
    const now = byName.get(o?.name);
    if (now === undefined) errs.push(fieldErr.forbidden(path, `existing ephemeral containers "${o?.name}" may not be removed\n`));
    else if (!jsonEqual(o, now))
      errs.push(fieldErr.forbidden(`${path}[${o.name}]`, `existing ephemeral containers "${o.name}" may not be changed\n${jsonDiff(o, now, '').join('\n')}`));
  }
  return errs;
}
