// Applying PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and
// strategic merge patch with Kubernetes' list merge keys for the built-in types.
import jsonpatch from 'fast-json-patch';
import type { KObject } from '../../api/types.js';
import { clone } from '../json-cache.js';
import { errors, StatusError } from '../status.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// Merge keys of the built-in list fields, by field name (Kubernetes' patchMergeKey tags).
// A list field not named here is replaced as a whole, as its patchStrategy is absent.
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ports: 'containerPort',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  addresses: 'type',
  taints: 'key',
  secrets: 'name',
  readinessGates: 'conditionType',
};
// Lists of scalars that merge as sets (patchStrategy merge).
const MERGE_SETS = new Set(['finalizers']);

function isObj(v: unknown): v is Record<string, any> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function mergeKeyFor(field: string, parentPath: string[]): string | undefined {
  // Service ports merge on port; container ports on containerPort.
  if (field === 'ports' && parentPath.includes('spec') && !parentPath.some((p) => p === 'containers' || p === 'initContainers' || p === 'ephemeralContainers')) return 'port';
  return MERGE_KEYS[field];
}

function mergeList(field: string, path: string[], original: unknown[], patch: unknown[], deletions: unknown[] | undefined): unknown[] {
  const key = mergeKeyFor(field, path);
  if (MERGE_SETS.has(field) || (!key && deletions)) {
    const out = [...original];
    for (const v of patch) if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
    return deletions ? out.filter((x) => !deletions.some((d) => JSON.stringify(d) === JSON.stringify(x))) : out;
  }
  if (!key) {
    if (patch.length === 1 && isObj(patch[0]) && patch[0].$patch === 'replace') return [];
    return patch.filter((p) => !(isObj(p) && p.$patch));
  }
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map((p) => strip(p));
  const out: unknown[] = original.map((x) => x);
  for (const p of patch) {
    if (!isObj(p)) continue;
    const idx = out.findIndex((x) => isObj(x) && x[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], p, [...path, field]);
    else out.push(strip(p));
  }
  return out;
}

/** Removes patch directives from a value that is inserted as a whole. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = strip(x);
  return out;
}

/** Strategic merge patch of `patch` onto `original`. */
export function strategicMerge(original: unknown, patch: unknown, path: string[] = []): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') return strip(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Record<string, unknown> = isObj(original) ? { ...original } : {};
  const retain = Array.isArray(patch.$retainKeys) ? new Set<string>(patch.$retainKeys) : undefined;
  if (retain) for (const k of Object.keys(out)) if (!retain.has(k)) delete out[k];
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const deletions = patch[`$deleteFromPrimitiveList/${k}`] as unknown[] | undefined;
      out[k] = mergeList(k, path, Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, deletions);
    } else if (isObj(v)) {
      out[k] = strategicMerge(out[k], v, [...path, k]);
      if (out[k] === undefined) delete out[k];
    } else out[k] = v;
  }
  for (const [k, v] of Object.entries(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
    if (m && !(m[1]! in patch) && Array.isArray(out[m[1]!]) && Array.isArray(v))
      out[m[1]!] = (out[m[1]!] as unknown[]).filter((x) => !v.some((d) => JSON.stringify(d) === JSON.stringify(x)));
  }
  return out;
}

/** Applies a patch of the given content type to a mutable copy of `current`. */
export function applyPatch(current: KObject, patchType: string, patch: unknown): KObject {
  switch (patchType) {
    case PATCH_TYPES.json: {
      if (!Array.isArray(patch)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      try {
        return jsonpatch.applyPatch(clone(current), patch as jsonpatch.Operation[], true, false).newDocument as KObject;
      } catch (err) {
        const e = err as Error & { name?: string };
        // An operation that is not an object does not decode (400); any failure to apply one
        // — a failed test, a missing path — is Kubernetes' generic 422.
        if (e.name === 'OPERATION_NOT_AN_OBJECT') throw errors.badRequest(`json: cannot unmarshal into Go value of type jsonpatch.Operation: ${e.message.split('\n')[0]}`);
        throw new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
      }
    }
    case PATCH_TYPES.merge:
      if (!isObj(patch)) throw errors.badRequest('the body of a merge patch must be a JSON object');
      return mergePatch(current, patch) as KObject;
    case PATCH_TYPES.strategic:
      if (!isObj(patch)) throw errors.badRequest('the body of a strategic merge patch must be a JSON object');
      return strategicMerge(current, patch) as KObject;
    default:
      throw errors.unsupportedMediaType(patchType);
  }
}
