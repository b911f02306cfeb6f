// Server-side apply (application/apply-patch+yaml): merges a field manager's configuration
// into the live object, removes the fields the manager applied before and no longer
// applies (unless someone else owns them), and refuses — 409 — to change fields other
// managers own unless forced, in which case ownership moves to the applier.
import type { KObject, ResourceDef } from '../../../api/types.js';
import { apiVersionOf } from '../../../api/types.js';
import { clone } from '../../../util/clone.js';
import { errors, StatusError } from '../../status.js';
import { decodeManaged, identity, ignoredFields, setManaged, type ManagedEntry } from '../managed-fields.js';
import { FieldSet, pathString } from './fieldset.js';
import { rootType } from './merge-meta.js';
import { compareObjects, mergeObject, removePath, toFieldSet } from './typed.js';
import { formatTime } from '../../../util/time.js';

export interface ApplyOptions {
  manager: string;
  force: boolean;
  subresource?: 'status';
}

function managerLabel(e: ManagedEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/** Kubernetes' apply conflict: 409 with one cause per conflicting field. */
function conflictError(conflicts: { entry: ManagedEntry; path: string[] }[]): StatusError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${managerLabel(c.entry)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${managerLabel(conflicts[0]!.entry)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const label = managerLabel(c.entry);
      byManager.set(label, [...(byManager.get(label) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const label of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${label}:`);
      for (const p of byManager.get(label)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

function checkConfig(def: ResourceDef, config: unknown): KObject {
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw errors.badRequest('error decoding YAML: the applied configuration must be an object');
  const cfg = config as KObject;
  const want = apiVersionOf(def);
  if (cfg.apiVersion !== want)
    throw errors.badRequest(`Incorrect version specified in apply patch. Specified patch version: ${cfg.apiVersion ?? ''}, expected: ${want}`);
  if (cfg.kind !== def.kind) throw errors.badRequest(`the kind in the data (${cfg.kind ?? ''}) does not match the expected kind (${def.kind})`);
  if (cfg.metadata !== undefined && (typeof cfg.metadata !== 'object' || cfg.metadata === null || Array.isArray(cfg.metadata)))
    throw errors.badRequest('metadata must be an object');
  if (cfg.metadata?.managedFields !== undefined && cfg.metadata.managedFields !== null) throw errors.badRequest(`metadata.managedFields must be nil`);
  return cfg;
}

/**
 * The object after `opts.manager` applies `config` to `live` (undefined: create), with
 * metadata.managedFields updated. Defaulting and validation are the caller's next step.
 */
export function serverSideApply(def: ResourceDef, live: KObject | undefined, config: unknown, opts: ApplyOptions): KObject {
  const cfg = clone(checkConfig(def, config));
  if (opts.subresource === 'status') {
    for (const k of Object.keys(cfg)) if (k !== 'status' && k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') delete cfg[k];
  } else if (def.subresources?.status) delete cfg.status;
  const type = rootType(def.group, def.kind);
  const ignored = ignoredFields(def, opts.subresource);
  const entries = decodeManaged(live) ?? [];
  const me = { manager: opts.manager, operation: 'Apply' as const, apiVersion: apiVersionOf(def), subresource: opts.subresource };
  const id = identity(me);
  const previous = entries.find((e) => identity(e) === id);
  const others = entries.filter((e) => e !== previous);
  const applied = toFieldSet(cfg, type).recursiveDifference(ignored);

  const base: KObject = live ? stripManaged(live) : {};
  const merged = clone(mergeObject(base, cfg, type));
  if (previous) {
    let keep = applied;
    for (const e of others) keep = keep.union(e.set);
    const dropped = previous.set.difference(keep).paths();
    // Shallowest first: a dropped item goes whole. A node still holding kept fields stays, and so
    // do the key fields of an item that stays (they identify it).
    dropped.sort((a, b) => a.length - b.length);
    for (const p of dropped) if (!keep.hasAnyAt(p) && !isKeyField(p)) removePath(merged, p, type, (prefix) => !keep.has(prefix));
  }

  const cmp = compareObjects(base, merged, type);
  const changed = cmp.changed.recursiveDifference(ignored);
  const removed = cmp.removed.recursiveDifference(ignored);
  const conflicts: { entry: ManagedEntry; path: string[] }[] = [];
  for (const e of others) for (const p of e.set.intersection(changed).paths()) conflicts.push({ entry: e, path: p });
  if (
    conflicts.length &&
    !opts.force &&
    !upgradesClientSideApply(
      opts.manager,
      base,
      type,
      conflicts.map((c) => c.path),
    )
  )
    throw conflictError(conflicts);
  for (const e of others) e.set = e.set.difference(changed).difference(removed);

  const entry: ManagedEntry = previous ?? { ...me, set: new FieldSet() };
  if (!previous || !sameSet(previous.set, applied) || !changed.empty() || !removed.empty()) entry.time = formatTime();
  entry.set = applied;
  entry.apiVersion = me.apiVersion;
  if (!previous) entries.push(entry);
  merged.metadata = merged.metadata ?? {};
  if (opts.manager === KUBECTL_MANAGER && typeof base.metadata?.annotations?.[LAST_APPLIED] === 'string') {
    // Keep the client-side record in step, so a later client-side apply diffs against this config.
    merged.metadata.annotations = { ...merged.metadata.annotations, [LAST_APPLIED]: lastAppliedOf(cfg) };
  }
  setManaged(merged, entries);
  return merged;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Only kubectl's own server-side manager takes over from client-side apply, as in Kubernetes. */
const KUBECTL_MANAGER = 'kubectl';

/**
 * Kubernetes' client-side → server-side apply upgrade: `kubectl apply --server-side` may take the
 * fields that `kubectl apply` (client-side) set, as recorded in the last-applied annotation and
 * still holding the values it recorded; a conflict on any other field stands.
 */
function upgradesClientSideApply(manager: string, live: KObject, type: ReturnType<typeof rootType>, paths: string[][]): boolean {
  if (manager !== KUBECTL_MANAGER) return false;
  const text = live.metadata?.annotations?.[LAST_APPLIED];
  if (typeof text !== 'string' || !text) return false;
  let last: KObject;
  try {
    last = JSON.parse(text) as KObject;
  } catch {
    return false;
  }
  if (!last || typeof last !== 'object' || Array.isArray(last)) return false;
  const allowed = toFieldSet(last, type).difference(compareObjects(last, live, type).changed);
  return paths.every((p) => allowed.has(p));
}

/** The annotation's value for an applied config: the config without the annotation itself. */
function lastAppliedOf(cfg: KObject): string {
  const copy = clone(cfg);
  const ann = copy.metadata?.annotations;
  if (ann) {
    delete ann[LAST_APPLIED];
    if (!Object.keys(ann).length) delete copy.metadata!.annotations;
  }
  return JSON.stringify(copy);
}

function isKeyField(path: string[]): boolean {
  const parent = path[path.length - 2];
  const last = path[path.length - 1]!;
  if (!parent?.startsWith('k:') || !last.startsWith('f:')) return false;
  return Object.hasOwn(JSON.parse(parent.slice(2)) as object, last.slice(2));
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.difference(b).empty() && b.difference(a).empty();
}

function stripManaged(obj: KObject): KObject {
  const { metadata, ...rest } = obj;
  const { managedFields: _mf, ...m } = metadata ?? {};
  return { ...rest, metadata: m };
}
