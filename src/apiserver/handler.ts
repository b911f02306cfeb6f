// Dispatches an ApiRequest to the generic REST operations and the subresources. Shared
// by the HTTPS server and the in-process transport: nothing here knows about HTTP.
import type { ResourceRegistry } from '../api/registry.js';
import type { KObject, ResourceDef } from '../api/types.js';
import { apiVersionOf, DEFAULT_VERBS } from '../api/types.js';
import { listObjects } from './rest/list.js';
import { applyPatch, PATCH_TYPES } from './rest/patch.js';
import { patchedShapeError } from './rest/patch-types.js';
import { serverSideApply } from './rest/apply/apply.js';
import type { ResourceStorage, WriteSubresource } from './rest/resource-store.js';
import { startWatch } from './rest/watch.js';
import { componentStatuses } from './rest/component-status.js';
import { scaleSubresource } from './rest/scale.js';
import { bindPod } from './rest/binding.js';
import { evictPod } from './rest/eviction.js';
import { applyConfigurationError, checkFields, existingUnknownFields, fieldValidationOf } from './rest/field-validation.js';
import { errors, StatusError } from './status.js';
import { queryFlag } from '../util/query-bool.js';
import type { ApiRequest, ApiResult, WatchHandle, WatchSink } from './types.js';
import { AggregatedApis } from './aggregated-apis.js';
import type { Authorizer } from './auth/types.js';
import { requestAttributes } from './auth/attributes.js';
import { forbidden } from './auth/forbidden.js';
import type { Requester } from './rest/resource-store.js';
import { deleteOptions, dryRun, fieldManager, successStatus } from './request-options.js';

/** Serves one subresource of `def`; undefined when it does not serve this request. */
export type SubresourceHandler = (def: ResourceDef, ns: string | undefined, req: ApiRequest) => Promise<ApiResult | undefined>;

function requester(req: ApiRequest): Requester {
  return { user: req.user, subresource: req.subresource };
}

export class ApiHandler {
  /** Groups served by other components (metrics.k8s.io), handed their requests whole. */
  readonly aggregated = new AggregatedApis();
  /** Decides every request before it is served (--authorization-mode); absent: everything is allowed. */
  authorizer?: Authorizer;

  constructor(
    readonly rs: ResourceStorage,
    readonly registry: ResourceRegistry,
  ) {}

  /** Throws the 403 Kubernetes answers when the authorizer does not allow the request. */
  authorize(req: ApiRequest): void {
    if (!this.authorizer) return;
    const a = requestAttributes(req);
    const r = this.authorizer.authorize(a);
    if (r.decision !== 'allow') throw forbidden(a, r.reason);
  }

  resolve(req: ApiRequest): ResourceDef {
    const def = this.registry.lookup(req.group, req.version, req.resource);
    if (!def) throw errors.pageNotFound(`/${req.group ? `apis/${req.group}` : 'api'}/${req.version}/${req.resource}`);
    const verbs = def.verbs ?? DEFAULT_VERBS;
    if (!req.subresource && !verbs.includes(req.verb)) throw errors.methodNotSupported(def.group, def.plural, req.verb);
    if (def.namespaced && !req.namespace && req.name) throw errors.pageNotFound(req.resource);
    return def;
  }

  async handle(req: ApiRequest): Promise<ApiResult> {
    this.authorize(req);
    const owner = this.aggregated.owner(req.group, req.version);
    if (owner) return this.aggregated.handle(owner, req);
    const def = this.resolve(req);
    if (def.plural === 'componentstatuses' && def.group === '') return componentStatuses(def, req, this.rs);
    const answer = !req.subresource && this.answered.get(`${def.group}/${def.plural}`);
    if (answer) return answer(req, def);
    if (req.subresource) return this.subresource(def, req);
    const ns = def.namespaced ? req.namespace : undefined;
    const q = req.query;
    switch (req.verb) {
      case 'get':
        return { status: 200, body: await this.rs.get(def, ns, req.name!), def };
      case 'list': {
        const r = await listObjects(this.rs, def, ns, q);
        const metadata: Record<string, unknown> = { resourceVersion: r.resourceVersion };
        if (r.continue) metadata.continue = r.continue;
        if (r.remainingItemCount !== undefined) metadata.remainingItemCount = r.remainingItemCount;
        return { status: 200, body: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata, items: r.items }, def, list: true };
      }
      case 'create': {
        if (def.namespaced && !ns) throw errors.pageNotFound(req.resource);
        const checked = checkFields(def, req.body as KObject, fieldValidationOf(q, 'CreateOptions'), 'create', { rawBody: req.body });
        if (def.stampRequester && req.user) def.stampRequester(checked.object, req.user);
        const obj = await this.rs.create(def, ns, checked.object, {
          dryRun: dryRun(q, 'CreateOptions'),
          fieldManager: fieldManager(req, 'CreateOptions'),
          requester: requester(req),
        });
        return { status: 201, body: obj, def, warnings: checked.warnings };
      }
      case 'update': {
        const checked = checkFields(def, req.body as KObject, fieldValidationOf(q, 'UpdateOptions'), 'update', { rawBody: req.body });
        const r = await this.rs.update(def, ns, req.name!, checked.object, undefined, {
          requester: requester(req),
          dryRun: dryRun(q, 'UpdateOptions'),
          fieldManager: fieldManager(req, 'UpdateOptions'),
        });
        return { status: r.created ? 201 : 200, body: r.object, def, warnings: checked.warnings };
      }
      case 'patch':
        if (req.patchType === PATCH_TYPES.apply) return this.apply(def, ns, req, undefined);
        {
          const warnings: string[] = [];
          return { status: 200, body: await this.patch(def, ns, req, undefined, warnings), def, warnings };
        }
      case 'delete': {
        const r = await this.rs.delete(def, ns, req.name!, { ...deleteOptions(q, req.body), requester: requester(req) });
        if (!r.deleted || def.returnDeletedObject) return { status: 200, body: r.object, def };
        return { status: 200, body: successStatus(def, r.object) };
      }
      case 'deletecollection': {
        const opts = { ...deleteOptions(q, req.body), requester: requester(req) };
        const listQuery = new URLSearchParams(q);
        listQuery.delete('limit');
        listQuery.delete('continue');
        const r = await listObjects(this.rs, def, ns, listQuery);
        const items: KObject[] = [];
        for (const obj of r.items) {
          try {
            items.push((await this.rs.delete(def, obj.metadata!.namespace, obj.metadata!.name, opts)).object);
          } catch (err) {
            if ((err as { code?: number }).code !== 404) throw err;
          }
        }
        return {
          status: 200,
          body: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(this.rs.cache.revision) }, items },
          def,
          list: true,
        };
      }
      default:
        throw errors.methodNotSupported(def.group, def.plural, req.verb);
    }
  }

  private async patch(def: ResourceDef, ns: string | undefined, req: ApiRequest, sub: WriteSubresource, warnings: string[] = []): Promise<KObject> {
    const type = req.patchType ?? '';
    // Custom resources have no patch strategies to merge by, so Kubernetes refuses strategic merge for them.
    if (def.customSchema && type === 'application/strategic-merge-patch+json')
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    const validation = fieldValidationOf(req.query, 'PatchOptions');
    const manager = fieldManager(req, 'PatchOptions');
    // Strategic merge and JSON patch build a new object without touching `current`, so it need
    // not be copied first; a merge patch shares the object's subtrees, and a type's
    // prepareForUpdate may move parts of `current` into the result, so those get a copy.
    const readOnly = (type === PATCH_TYPES.strategic || type === PATCH_TYPES.json) && !def.prepareForUpdate;
    const r = await this.rs.guaranteedUpdate(
      def,
      ns,
      req.name!,
      async (current, cached) => {
        if (!current) throw errors.notFound(def.group, def.plural, req.name!);
        const patched = applyPatch(current, type, req.body);
        if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw errors.badRequest('the patched object must be a JSON object');
        if (type === PATCH_TYPES.strategic) {
          const shape = patchedShapeError(def, patched, req.body);
          if (shape) throw shape;
        }
        patched.metadata = patched.metadata && typeof patched.metadata === 'object' ? patched.metadata : {};
        const rv = patched.metadata.resourceVersion;
        if (rv && rv !== current.metadata!.resourceVersion)
          throw errors.conflict(
            def.group,
            def.plural,
            req.name!,
            'the object has been modified; please apply your changes to the latest version and try again',
          );
        if (patched.metadata.name !== current.metadata!.name)
          throw errors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${req.name})`);
        if (patched.apiVersion !== current.apiVersion || patched.kind !== current.kind)
          throw errors.badRequest('the apiVersion and kind of an object cannot be changed by a patch');
        // Unknown fields the stored object already had are not the patch's doing.
        const checked = checkFields(def, patched, validation, 'patch', { rawBody: req.body, ignore: () => existingUnknownFields(def, cached ?? current) });
        warnings.splice(0, warnings.length, ...checked.warnings);
        return this.rs.prepareUpdate(def, current, checked.object, sub, manager, requester(req));
      },
      { dryRun: dryRun(req.query, 'PatchOptions'), readOnly },
    );
    return r.object;
  }

  /** Server-side apply: PATCH with application/apply-patch+yaml; creates the object when absent. */
  private async apply(def: ResourceDef, ns: string | undefined, req: ApiRequest, sub: 'status' | undefined): Promise<ApiResult> {
    const manager = fieldManager(req, 'PatchOptions');
    const force = queryFlag(req.query, 'force');
    const name = req.name!;
    const undeclared = applyConfigurationError(def, req.body, ns, name);
    if (undeclared) throw undeclared;
    let created = false;
    const r = await this.rs.guaranteedUpdate(
      def,
      ns,
      name,
      async (current) => {
        if (!current && sub) throw errors.notFound(def.group, def.plural, name);
        const merged = serverSideApply(def, current, req.body, { manager, force, subresource: sub });
        const meta = merged.metadata!;
        if (meta.name === undefined) meta.name = name;
        if (meta.name !== name) throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
        if (def.namespaced) {
          if (meta.namespace !== undefined && meta.namespace !== ns)
            throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
          meta.namespace = ns;
        } else delete meta.namespace;
        if (!current) {
          created = true;
          if (meta.resourceVersion) throw errors.notFound(def.group, def.plural, name);
          return this.rs.prepareCreate(def, merged, undefined, requester(req));
        }
        created = false;
        const rv = meta.resourceVersion;
        if (rv && rv !== current.metadata!.resourceVersion)
          throw errors.conflict(def.group, def.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
        const out = await this.rs.prepareUpdate(def, current, merged, sub, undefined, requester(req));
        // Through /status only status is taken from the merge; the ownership record comes with it.
        if (meta.managedFields) out.metadata!.managedFields = meta.managedFields;
        else delete out.metadata!.managedFields;
        return out;
      },
      { dryRun: dryRun(req.query, 'PatchOptions') },
    );
    return { status: created ? 201 : 200, body: r.object, def };
  }

  /** GET, PUT and PATCH through /status (or /approval): only that part of the object is written. */
  private async statusLike(def: ResourceDef, ns: string | undefined, req: ApiRequest, sub: 'status' | 'approval'): Promise<ApiResult | undefined> {
    const name = req.name!;
    if (req.verb === 'get') return { status: 200, body: await this.rs.get(def, ns, name), def };
    if (req.verb === 'update') {
      const checked = checkFields(def, req.body as KObject, fieldValidationOf(req.query, 'UpdateOptions'), 'update', { rawBody: req.body });
      return {
        status: 200,
        body: (
          await this.rs.update(def, ns, name, checked.object, sub, {
            requester: requester(req),
            dryRun: dryRun(req.query, 'UpdateOptions'),
            fieldManager: fieldManager(req, 'UpdateOptions'),
          })
        ).object,
        def,
        warnings: checked.warnings,
      };
    }
    if (req.verb === 'patch' && req.patchType === PATCH_TYPES.apply) return sub === 'status' ? this.apply(def, ns, req, sub) : undefined;
    if (req.verb === 'patch') {
      const warnings: string[] = [];
      return { status: 200, body: await this.patch(def, ns, req, sub, warnings), def, warnings };
    }
    return undefined;
  }

  /**
   * The subresources, by name. A handler answers undefined for a request it does not serve
   * (a verb it lacks, a resource without that subresource): that is a 404.
   */
  /** Resources answered by a function instead of storage (token and access reviews), by `group/plural`. */
  readonly answered = new Map<string, (req: ApiRequest, def: ResourceDef) => Promise<ApiResult> | ApiResult>();

  /** Serves another subresource (serviceaccounts/token); the function answers undefined for resources it does not serve. */
  addSubresource(name: string, serve: SubresourceHandler): void {
    this.subresources.set(name, serve);
  }

  private readonly subresources = new Map<string, SubresourceHandler>([
    ['status', async (def, ns, req) => (def.subresources?.status ? this.statusLike(def, ns, req, 'status') : undefined)],
    // certificatesigningrequests/approval: a status write that only touches the conditions.
    ['approval', async (def, ns, req) => (def.subresources?.approval ? this.statusLike(def, ns, req, 'approval') : undefined)],
    [
      // Debug containers join a running pod only this way; the rest of the pod stays as it is.
      'ephemeralcontainers',
      async (def, ns, req) => {
        if (!def.subresources?.ephemeralContainers) return undefined;
        const name = req.name!;
        if (req.verb === 'get') return { status: 200, body: await this.rs.get(def, ns, name), def };
        if (req.verb === 'update') {
          const checked = checkFields(def, req.body as KObject, fieldValidationOf(req.query, 'UpdateOptions'), 'update', { rawBody: req.body });
          const opts = { dryRun: dryRun(req.query, 'UpdateOptions'), fieldManager: fieldManager(req, 'UpdateOptions'), requester: requester(req) };
          const r = await this.rs.update(def, ns, name, checked.object, 'ephemeralcontainers', opts);
          return { status: 200, body: r.object, def, warnings: checked.warnings };
        }
        if (req.verb === 'patch' && req.patchType !== PATCH_TYPES.apply) {
          const warnings: string[] = [];
          return { status: 200, body: await this.patch(def, ns, req, 'ephemeralcontainers', warnings), def, warnings };
        }
        return undefined;
      },
    ],
    [
      'scale',
      async (def, ns, req) => {
        if (!def.subresources?.scale) return undefined;
        return scaleSubresource(this.rs, def, ns, req, def.subresources.scale, dryRun(req.query, req.verb === 'patch' ? 'PatchOptions' : 'UpdateOptions'));
      },
    ],
    [
      'binding',
      async (def, ns, req) => {
        if (!def.subresources?.binding || req.verb !== 'create') return undefined;
        return bindPod(this.rs, def, ns!, req.name!, req.body, dryRun(req.query, 'CreateOptions'));
      },
    ],
    [
      'eviction',
      async (def, ns, req) => {
        if (def.group !== '' || def.plural !== 'pods' || req.verb !== 'create') return undefined;
        return evictPod(this.rs, def, ns!, req.name!, req.body, dryRun(req.query, 'CreateOptions'));
      },
    ],
    [
      'finalize',
      async (def, _ns, req) => {
        if (def.plural !== 'namespaces' || def.group !== '' || req.verb !== 'update') return undefined;
        return this.finalizeNamespace(def, req);
      },
    ],
  ]);

  private async subresource(def: ResourceDef, req: ApiRequest): Promise<ApiResult> {
    const ns = def.namespaced ? req.namespace : undefined;
    const sub = req.subresource!;
    const result = await this.subresources.get(sub)?.(def, ns, req);
    if (result) return result;
    throw errors.pageNotFound(`${def.plural}/${sub}`);
  }

  /** namespaces/finalize: replaces spec.finalizers, the list the namespace controller empties. */
  private async finalizeNamespace(def: ResourceDef, req: ApiRequest): Promise<ApiResult> {
    const name = req.name!;
    const body = req.body as KObject;
    const r = await this.rs.guaranteedUpdate(
      def,
      undefined,
      name,
      (current) => {
        if (!current) throw errors.notFound('', 'namespaces', name);
        current.spec = { ...(current.spec ?? {}), finalizers: body?.spec?.finalizers ?? [] };
        if (!current.spec.finalizers.length) delete current.spec.finalizers;
        return current;
      },
      { dryRun: dryRun(req.query, 'UpdateOptions') },
    );
    return { status: 200, body: r.object, def };
  }

  async watch(req: ApiRequest, sink: WatchSink): Promise<WatchHandle> {
    this.authorize(req);
    if (this.aggregated.owner(req.group, req.version)) throw errors.methodNotSupported(req.group, req.resource, 'watch');
    const def = this.resolve(req);
    const ns = def.namespaced ? req.namespace : undefined;
    const q = new URLSearchParams(req.query);
    if (req.name) {
      // GET .../pods/web?watch=1 is a watch with fieldSelector metadata.name=web.
      const fs = q.get('fieldSelector');
      q.set('fieldSelector', fs ? `${fs},metadata.name=${req.name}` : `metadata.name=${req.name}`);
    }
    return startWatch(this.rs, def, ns, q, sink);
  }
}
