// metadata.managedFields: which field manager owns which fields, recorded on every write
// as Kubernetes' field manager does. Writes other than apply are "Update" operations: the
// writer takes the fields it added or changed (from whoever had them) and everyone loses
// the fields it removed. Apply entries are written by apply/apply.ts.
import type { KObject, ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { clone } from '../../util/clone.js';
import { errors } from '../status.js';
import { containedInRaw, FieldSet, intersectsRaw } from './apply/fieldset.js';
import { rootType } from './apply/merge-meta.js';
import { compareObjects } from './apply/typed.js';
import { formatTime } from '../../util/time.js';

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

const MAX_MANAGER_LENGTH = 128;

/** Fields nobody owns: identity and server-set metadata (Kubernetes' stripMeta manager). */
const STRIPPED = (() => {
  const s = new FieldSet();
  for (const p of [['f:apiVersion'], ['f:kind']]) s.insert(p);
  for (const f of ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'])
    s.insert(['f:metadata', `f:${f}`]);
  return s;
})();
const RESET_MAIN = (() => {
  const s = STRIPPED.clone();
  s.insert(['f:status']);
  return s;
})();
const RESET_STATUS = (() => {
  const s = STRIPPED.clone();
  s.insert(['f:spec']);
  return s;
})();

/**
 * Fields a write through this endpoint cannot own: the stripped metadata, plus status on
 * the main resource (when status is a subresource) or spec through /status.
 */
export function ignoredFields(def: ResourceDef, subresource: string | undefined): FieldSet {
  if (subresource === 'status' || subresource === 'approval') return RESET_STATUS;
  return def.subresources?.status ? RESET_MAIN : STRIPPED;
}

/** The default manager name: the user agent up to its first "/" (as Kubernetes does). */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const prefix = (userAgent ?? '').split('/')[0]!.trim();
  return prefix.slice(0, MAX_MANAGER_LENGTH) || 'unknown';
}

/** Kubernetes' ValidateFieldManager, answered as the options kind's 422. */
export function validateFieldManager(manager: string, options: string): void {
  if (manager.length > MAX_MANAGER_LENGTH)
    throw errors.invalid('meta.k8s.io', options, '', [
      { type: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than ${MAX_MANAGER_LENGTH} bytes` },
    ]);
  const bad = [...manager].findIndex((ch) => /\p{C}/u.test(ch));
  if (bad >= 0)
    throw errors.invalid('meta.k8s.io', options, '', [
      { type: 'FieldValueInvalid', field: 'fieldManager', message: `Invalid value: ${JSON.stringify(manager)}: invalid character at position ${bad}` },
    ]);
}

export function identity(e: Pick<ManagedEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([e.manager, e.operation, e.operation === 'Update' ? e.apiVersion : '', e.subresource ?? '']);
}

/** The entries of an object's managedFields; undefined when they are absent or malformed. */
export function decodeManaged(obj: KObject | undefined): ManagedEntry[] | undefined {
  const list = obj?.metadata?.managedFields;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  try {
    return list.map((e: any) => {
      if (!e || typeof e !== 'object') throw new Error('not an object');
      if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') throw new Error('unsupported fieldsType');
      return {
        manager: String(e.manager ?? ''),
        operation: e.operation === 'Apply' ? 'Apply' : 'Update',
        apiVersion: String(e.apiVersion ?? ''),
        time: e.time,
        subresource: e.subresource || undefined,
        set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
      } satisfies ManagedEntry;
    });
  } catch {
    return undefined;
  }
}

/** managedFields in Kubernetes' order: Apply before Update, then by time, manager, version. */
export function encodeManaged(entries: ManagedEntry[]): Record<string, unknown>[] {
  const live = entries.filter((e) => !e.set.empty());
  live.sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const pt = p.time ?? '';
    const qt = q.time ?? '';
    if (pt !== qt) return pt < qt ? -1 : 1;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : 1;
  });
  return live.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: e.set.toFieldsV1(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

export function setManaged(obj: KObject, entries: ManagedEntry[]): void {
  const encoded = encodeManaged(entries);
  if (encoded.length) obj.metadata!.managedFields = encoded;
  else delete obj.metadata!.managedFields;
}

type RawEntry = Record<string, any>;

function validRawEntries(list: unknown): RawEntry[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  for (const e of list) {
    if (!e || typeof e !== 'object' || Array.isArray(e)) return undefined;
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') return undefined;
    if (e.fieldsV1 !== undefined && (!e.fieldsV1 || typeof e.fieldsV1 !== 'object' || Array.isArray(e.fieldsV1))) return undefined;
  }
  return list as RawEntry[];
}

function rawIdentity(e: RawEntry): string {
  return identity({
    manager: String(e.manager ?? ''),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: String(e.apiVersion ?? ''),
    subresource: e.subresource || undefined,
  });
}

function byKubernetesOrder(p: RawEntry, q: RawEntry): number {
  if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
  const pt = p.time ?? '';
  const qt = q.time ?? '';
  if (pt !== qt) return pt < qt ? -1 : 1;
  if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
  if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
  return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
}

/**
 * Records an Update operation by `manager` that turns `live` (absent on create) into `obj`,
 * writing obj.metadata.managedFields. A client may send managedFields itself (to repair or
 * migrate them); a single empty entry clears them. Entries the write does not touch are kept
 * as stored, without decoding: most writes touch only the writer's own entry, if any.
 */
export function trackUpdate(def: ResourceDef, live: KObject | undefined, obj: KObject, manager: string, subresource?: string): void {
  const sent = obj.metadata?.managedFields;
  let base: RawEntry[];
  if (!subresource && Array.isArray(sent) && sent.length === 1 && sent[0] && typeof sent[0] === 'object' && Object.keys(sent[0]).length === 0) base = [];
  else base = (!subresource && validRawEntries(sent)) || validRawEntries(live?.metadata?.managedFields) || [];
  const ignored = ignoredFields(def, subresource);
  const cmp = compareObjects(stripForCompare(live), stripForCompare(obj), rootType(def.group, def.kind));
  const changed = cmp.changed.recursiveDifference(ignored);
  const removed = cmp.removed.recursiveDifference(ignored);
  const me = { manager, operation: 'Update' as const, apiVersion: apiVersionOf(def), subresource };
  const id = identity(me);
  const out: RawEntry[] = [];
  let mine: RawEntry | undefined;
  for (const e of base) {
    if (!mine && rawIdentity(e) === id) {
      mine = e;
      continue;
    }
    if (!intersectsRaw(changed, e.fieldsV1) && !intersectsRaw(removed, e.fieldsV1)) {
      out.push(e);
      continue;
    }
    const left = FieldSet.fromFieldsV1(e.fieldsV1 ?? {})
      .difference(changed)
      .difference(removed);
    if (!left.empty()) out.push({ ...e, fieldsV1: left.toFieldsV1() });
  }
  if (mine && containedInRaw(changed, mine.fieldsV1) && !intersectsRaw(removed, mine.fieldsV1)) out.push(mine);
  else {
    const next = (mine ? FieldSet.fromFieldsV1(mine.fieldsV1 ?? {}) : new FieldSet()).union(changed).difference(removed);
    if (!next.empty())
      out.push({
        manager,
        operation: 'Update',
        apiVersion: me.apiVersion,
        time: formatTime(),
        fieldsType: 'FieldsV1',
        fieldsV1: next.toFieldsV1(),
        ...(subresource ? { subresource } : {}),
      });
  }
  out.sort(byKubernetesOrder);
  // Entries kept from a frozen (cached) `live` get copies: `obj` is the writer's to change.
  for (let i = 0; i < out.length; i++) if (Object.isFrozen(out[i])) out[i] = clone(out[i]!);
  if (out.length) obj.metadata!.managedFields = out;
  else delete obj.metadata!.managedFields;
}

/**
 * `obj` without metadata.managedFields and metadata.resourceVersion. Built with plain loops:
 * object rest patterns take a slow generic path in V8, and this runs twice on every write.
 */
function stripForCompare(obj: KObject | undefined): Record<string, any> {
  if (!obj) return {};
  const out: Record<string, any> = {};
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (k !== 'metadata') out[k] = v;
    else if (v) {
      const m: Record<string, any> = {};
      for (const mk of Object.keys(v)) if (mk !== 'managedFields' && mk !== 'resourceVersion') m[mk] = v[mk];
      out[k] = m;
    }
  }
  return out;
}
