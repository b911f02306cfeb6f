// Generic create/get/update/delete for every resource, in the manner of Kubernetes'
// generic registry store: strategies (defaulting, validation, status handling) come from
// the ResourceDef; this file owns metadata rules, preconditions and the store calls.
import type { ResourceRegistry, StorageBinding } from '../../api/registry.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { jsonEqual } from '../../api/validation.js';
import type { Store } from '../../storage/store.js';
import { StoreError } from '../../storage/store.js';
import { clone } from '../../util/clone.js';
import { errors, type StatusError } from '../status.js';
import type { WatchCache } from '../watch-cache.js';
import { decode } from '../cached-decode.js';
import { checkInt32Fields, storedJson } from './encoded-limits.js';
import { objectKey } from './keys.js';
import { bumpGeneration, carryMetaOnUpdate, prepareMetaForCreate, validateObjectMeta } from './object-meta.js';
import { trackUpdate } from './managed-fields.js';
import { runHooks } from './admission-run.js';
import { formatTime } from '../../util/time.js';
import type { UserInfo } from '../types.js';
import { approvalOnly, ephemeralContainersOnly, statusOnly, stripVolatile, typeMetaFirst } from './write-shapes.js';

/** Who asks for a write, for admission that depends on it (RBAC escalation, NodeRestriction); absent for the server's own writes. */
export interface Requester {
  user: UserInfo;
  /** The subresource written through (status, binding…), if any. */
  subresource?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  requester?: Requester;
  /** Records the write in metadata.managedFields as an Update by this manager. */
  fieldManager?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** Admission hooks run on create and update after defaulting, before validation. */
export type AdmissionHook = (op: 'create' | 'update' | 'delete', def: ResourceDef, obj: KObject, old?: KObject, requester?: Requester) => Promise<void> | void;

const MAX_RETRIES = 20;

function finalizersPending(def: ResourceDef, obj: KObject): boolean {
  return (obj.metadata?.finalizers?.length ?? 0) > 0 || !!def.finalizersPending?.(obj);
}

/** The subresources that write through the object's own storage. */
export type WriteSubresource = 'status' | 'approval' | 'ephemeralcontainers' | undefined;

export class ResourceStorage {
  readonly admission: AdmissionHook[] = [];

  constructor(
    readonly store: Store,
    readonly cache: WatchCache,
    readonly registry: ResourceRegistry,
  ) {}

  binding(def: ResourceDef): StorageBinding {
    return this.registry.storage(def);
  }

  /** The current object in the served version, from the cache after a consistent-read sync. */
  async current(def: ResourceDef, namespace: string | undefined, name: string): Promise<KObject | undefined> {
    await this.cache.sync();
    const b = this.binding(def);
    const stored = this.cache.get(objectKey(def, b, namespace, name));
    return stored && b.fromStorage(stored);
  }

  async get(def: ResourceDef, namespace: string | undefined, name: string): Promise<KObject> {
    const obj = await this.current(def, namespace, name);
    if (!obj) throw errors.notFound(def.group, def.plural, name);
    return obj;
  }

  private checkTypeMeta(def: ResourceDef, obj: KObject): void {
    const want = apiVersionOf(def);
    if (obj.apiVersion === undefined) obj.apiVersion = want;
    if (obj.kind === undefined) obj.kind = def.kind;
    if (obj.apiVersion !== want) throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    if (obj.kind !== def.kind) throw errors.badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${def.kind})`);
    if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata))) throw errors.badRequest('metadata must be an object');
    obj.metadata = obj.metadata ?? {};
    typeMetaFirst(obj);
  }

  private checkNamespace(def: ResourceDef, obj: KObject, namespace: string | undefined): void {
    if (def.namespaced) {
      if (obj.metadata!.namespace && obj.metadata!.namespace !== namespace)
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata!.namespace = namespace;
    } else {
      delete obj.metadata!.namespace;
    }
  }

  private invalid(def: ResourceDef, obj: KObject, errs: import('../../api/types.js').FieldError[]): StatusError {
    return errors.invalid(def.group, def.kind, obj.metadata?.name ?? obj.metadata?.generateName ?? '', errs);
  }

  async create(def: ResourceDef, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): Promise<KObject> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body of the request must be an object');
    // Kubernetes decodes into typed structs first: an int32 overflow is a 400 before any validation.
    checkInt32Fields(def, body as KObject);
    const obj = clone(body as KObject);
    this.checkTypeMeta(def, obj);
    this.checkNamespace(def, obj, namespace);
    if (obj.metadata!.resourceVersion) throw errors.badRequest('resourceVersion should not be set on objects to be created');
    prepareMetaForCreate(def, obj);
    def.defaults?.(obj);
    def.prepareForCreate?.(obj);
    const admitting = runHooks(this.admission, 'create', def, obj, undefined, opts.requester);
    if (admitting) await admitting;
    const errs = [...validateObjectMeta(def, obj), ...(def.validate?.(obj) ?? []), ...(def.validateCreate?.(obj) ?? [])];
    if (errs.length) throw this.invalid(def, obj, errs);
    if (opts.fieldManager) trackUpdate(def, undefined, obj, opts.fieldManager);
    const b = this.binding(def);
    const key = objectKey(def, b, obj.metadata!.namespace, obj.metadata!.name);
    if (opts.dryRun) {
      // A dry run still fails where the real create would (Kubernetes' DryRunnableStorage.Create).
      await this.cache.sync();
      if (this.cache.get(key)) throw errors.alreadyExists(def.group, def.plural, obj.metadata!.name);
      return obj;
    }
    try {
      const json = storedJson(def, b, obj);
      const write = () => this.store.create(key, json);
      // The watch cache copies `obj` instead of parsing `json` again (see WatchCache.writing).
      const rev = await (b.identity ? this.cache.writing(key, json, obj, write) : write());
      obj.metadata!.resourceVersion = String(rev);
      return obj;
    } catch (err) {
      if (err instanceof StoreError && err.code === 'KeyExists') throw errors.alreadyExists(def.group, def.plural, obj.metadata!.name);
      throw err;
    }
  }

  /**
   * Read-modify-write with optimistic concurrency. `mutate` receives a mutable copy of the
   * current object (served version) and returns the desired one; when the store moved on
   * underneath and the caller gave no resourceVersion, it runs again on the newer object.
   * Its second argument is that object as read (frozen when it came from the cache): for
   * reading only, and for keying what is derived from it. With `readOnly` the callback
   * promises not to modify its first argument (and to return no object sharing its
   * subtrees): it then gets the object as read, without the copy.
   */
  async guaranteedUpdate(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    mutate: (current: KObject | undefined, cached: KObject | undefined) => Promise<KObject | null> | KObject | null,
    opts: WriteOptions & { preconditionRV?: string; readOnly?: boolean } = {},
  ): Promise<{ object: KObject; changed: boolean; deleted?: boolean }> {
    const b = this.binding(def);
    const key = objectKey(def, b, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const found = await this.read(key, attempt > 0);
      const current = found ? b.fromStorage(found.obj) : undefined;
      if (opts.preconditionRV && current && current.metadata!.resourceVersion !== opts.preconditionRV)
        throw errors.conflict(def.group, def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
      const desired = await mutate(current && !opts.readOnly ? clone(current) : current, current);
      if (!desired) return { object: current!, changed: false };
      // An unchanged object is not written again, unless its stored form is stale (sealed under an old key).
      if (current && jsonEqual(stripVolatile(desired), stripVolatile(current)) && !(await this.store.isStale?.(key)))
        return { object: current, changed: false };
      if (opts.dryRun) return { object: desired, changed: true };
      try {
        if (!found) {
          const rev = await this.store.create(key, storedJson(def, b, desired));
          desired.metadata!.resourceVersion = String(rev);
          return { object: desired, changed: true };
        }
        if (current?.metadata?.deletionTimestamp && !finalizersPending(def, desired) && !(desired.metadata?.deletionGracePeriodSeconds > 0)) {
          // The last finalizer is gone from an object being deleted: it goes now.
          const { revision } = await this.store.delete(key, found.rev);
          desired.metadata!.resourceVersion = String(revision);
          return { object: desired, changed: true, deleted: true };
        }
        const json = storedJson(def, b, desired);
        const write = () => this.store.update(key, json, found.rev);
        const rev = await (b.identity ? this.cache.writing(key, json, desired, write) : write());
        desired.metadata!.resourceVersion = String(rev);
        return { object: desired, changed: true };
      } catch (err) {
        if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'KeyExists' || err.code === 'NotFound')) {
          if (opts.preconditionRV)
            throw errors.conflict(def.group, def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
          continue;
        }
        throw err;
      }
    }
    throw errors.conflict(def.group, def.plural, name, 'too many concurrent updates; please try again');
  }

  /**
   * The stored object and its revision: from the cache (after a consistent-read sync) on the
   * common path, from the store itself when retrying after a conflict.
   */
  private async read(key: string, fromStore: boolean): Promise<{ obj: KObject; rev: number } | null> {
    if (fromStore) {
      const kv = await this.store.get(key);
      return kv && { obj: decode(kv), rev: kv.modRevision };
    }
    await this.cache.sync();
    const obj = this.cache.get(key);
    return obj ? { obj, rev: Number(obj.metadata!.resourceVersion) } : null;
  }

  /** PUT of the main resource or of its status subresource. */
  async update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource: WriteSubresource,
    opts: WriteOptions = {},
  ): Promise<{ object: KObject; created: boolean }> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body of the request must be an object');
    const input = clone(body as KObject);
    this.checkTypeMeta(def, input);
    if (input.metadata!.name && input.metadata!.name !== name)
      throw errors.badRequest(`the name of the object (${input.metadata!.name}) does not match the name on the URL (${name})`);
    input.metadata!.name = name;
    this.checkNamespace(def, input, namespace);
    const rv = input.metadata!.resourceVersion as string | undefined;
    let created = false;
    const result = await this.guaranteedUpdate(
      def,
      namespace,
      name,
      async (current) => {
        if (!current) {
          if (rv || !def.allowCreateOnUpdate || subresource) throw errors.notFound(def.group, def.plural, name);
          created = true;
          return this.prepareCreate(def, clone(input), opts.fieldManager, opts.requester);
        }
        created = false;
        return this.prepareUpdate(def, current, clone(input), subresource, opts.fieldManager, opts.requester);
      },
      { ...opts, preconditionRV: rv },
    );
    return { object: result.object, created };
  }

  /**
   * Turns a client's desired object into the object to store: server-owned metadata and
   * (for the main resource) status carried from `current` — through /status the reverse:
   * only status, labels and annotations from the client (statusOnly) —, defaults, strategy,
   * admission, validation. Shared by PUT and PATCH.
   */
  async prepareUpdate(
    def: ResourceDef,
    current: KObject,
    input: KObject,
    subresource: WriteSubresource,
    fieldManager?: string,
    requester?: Requester,
  ): Promise<KObject> {
    const obj =
      subresource === 'status'
        ? statusOnly(current, input)
        : subresource === 'approval'
          ? approvalOnly(current, input)
          : subresource === 'ephemeralcontainers'
            ? ephemeralContainersOnly(current, input)
            : input;
    carryMetaOnUpdate(def, obj, current);
    if (!subresource && def.subresources?.status) {
      // `current` may be the frozen cached object (a patch): obj gets status of its own then.
      if (current.status !== undefined) obj.status = Object.isFrozen(current.status) ? clone(current.status) : current.status;
      else delete obj.status;
    }
    def.defaults?.(obj);
    if (!subresource) def.prepareForUpdate?.(obj, current);
    else if (subresource === 'status' || subresource === 'approval') def.prepareForSubresourceUpdate?.(subresource, obj, current);
    bumpGeneration(def, obj, current);
    const admitting = runHooks(this.admission, 'update', def, obj, current, requester);
    if (admitting) await admitting;
    const errs =
      subresource === 'status' || subresource === 'approval'
        ? [...validateObjectMeta(def, obj, current), ...(def.validateStatusUpdate?.(obj, current) ?? [])]
        : [
            ...validateObjectMeta(def, obj, current),
            ...(def.validate?.(obj) ?? []),
            ...((subresource === 'ephemeralcontainers' ? def.validateEphemeralContainersUpdate : def.validateUpdate)?.(obj, current) ?? []),
          ];
    if (errs.length) throw this.invalid(def, obj, errs);
    if (fieldManager) trackUpdate(def, current, obj, fieldManager, subresource);
    obj.metadata!.resourceVersion = current.metadata!.resourceVersion;
    return obj;
  }

  /** Create-on-update (PUT, server-side apply): the create path's preparation of `obj`. */
  async prepareCreate(def: ResourceDef, obj: KObject, fieldManager?: string, requester?: Requester): Promise<KObject> {
    delete obj.metadata!.resourceVersion;
    prepareMetaForCreate(def, obj);
    def.defaults?.(obj);
    def.prepareForCreate?.(obj);
    const admitting = runHooks(this.admission, 'create', def, obj, undefined, requester);
    if (admitting) await admitting;
    const errs = [...validateObjectMeta(def, obj), ...(def.validate?.(obj) ?? []), ...(def.validateCreate?.(obj) ?? [])];
    if (errs.length) throw this.invalid(def, obj, errs);
    if (fieldManager) trackUpdate(def, undefined, obj, fieldManager);
    return obj;
  }

  /**
   * DELETE: immediate, or — with finalizers or a grace period — marks the object with
   * deletionTimestamp and leaves the final removal to whoever owns the finalizer or the
   * grace period (the garbage collector, the namespace controller, the kubelet).
   */
  async delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ object: KObject; deleted: boolean }> {
    const b = this.binding(def);
    const key = objectKey(def, b, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const found = await this.read(key, attempt > 0);
      if (!found) throw errors.notFound(def.group, def.plural, name);
      const current = b.fromStorage(found.obj);
      const pre = opts.preconditions;
      // As Kubernetes' rest.BeforeDelete words them (naming the kind, not the resource).
      if (pre?.uid && pre.uid !== current.metadata!.uid)
        throw errors.conflict(
          def.group,
          def.kind,
          name,
          `the UID in the precondition (${pre.uid}) does not match the UID in record (${current.metadata!.uid}). The object might have been deleted and then recreated`,
        );
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata!.resourceVersion)
        throw errors.conflict(
          def.group,
          def.kind,
          name,
          `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${current.metadata!.resourceVersion}). The object might have been modified`,
        );
      const admitting = runHooks(this.admission, 'delete', def, current, undefined, opts.requester);
      if (admitting) await admitting;

      const obj = clone(current);
      const meta = obj.metadata!;
      const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
      const gcFinalizer = policy === 'Foreground' ? 'foregroundDeletion' : policy === 'Orphan' ? 'orphan' : undefined;
      const finalizers: string[] = [...(meta.finalizers ?? [])];
      if (!meta.deletionTimestamp && gcFinalizer && !finalizers.includes(gcFinalizer)) {
        finalizers.push(gcFinalizer);
        const other = gcFinalizer === 'orphan' ? 'foregroundDeletion' : 'orphan';
        if (finalizers.includes(other)) finalizers.splice(finalizers.indexOf(other), 1);
      }
      meta.finalizers = finalizers.length ? finalizers : undefined;
      if (!meta.finalizers) delete meta.finalizers;
      const grace = def.gracePeriod ? def.gracePeriod(current, opts.gracePeriodSeconds) : 0;
      const pending = finalizersPending(def, obj);

      if (!pending && grace === 0) {
        if (opts.dryRun) return { object: current, deleted: true };
        try {
          const { revision } = await this.store.delete(key, found.rev);
          const gone = clone(current);
          gone.metadata!.resourceVersion = String(revision);
          return { object: gone, deleted: true };
        } catch (err) {
          if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'NotFound')) continue;
          throw err;
        }
      }

      if (meta.deletionTimestamp) {
        // Already being deleted: only a shorter grace period changes anything.
        const currentGrace = meta.deletionGracePeriodSeconds ?? 0;
        if (!(def.gracePeriod && grace < currentGrace) && jsonEqual(meta.finalizers, current.metadata!.finalizers)) return { object: current, deleted: false };
      }
      const now = Date.now();
      if (!meta.deletionTimestamp || (def.gracePeriod && grace < (meta.deletionGracePeriodSeconds ?? 0))) {
        meta.deletionTimestamp = formatTime(now + grace * 1000);
        meta.deletionGracePeriodSeconds = grace;
        if (def.generation) meta.generation = (meta.generation ?? 1) + 1;
      }
      if (!current.metadata!.deletionTimestamp) def.onDeletionMarked?.(obj);
      if (opts.dryRun) return { object: obj, deleted: false };
      try {
        const rev = await this.store.update(key, storedJson(def, b, obj), found.rev);
        meta.resourceVersion = String(rev);
        return { object: obj, deleted: false };
      } catch (err) {
        if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'NotFound')) continue;
        throw err;
      }
    }
    throw errors.conflict(def.group, def.plural, name, 'too many concurrent updates; please try again');
  }
}
