// Dispatches an ApiRequest to the generic REST operations and the subresources. Shared
// by the HTTPS server and the in-process transport: nothing here knows about HTTP.
import type { ResourceRegistry } from '../api/registry.js';
import type { KObject, ResourceDef } from '../api/types.js';
import { apiVersionOf, DEFAULT_VERBS } from '../api/types.js';
import { listObjects } from './rest/list.js';
import { applyPatch } from './rest/patch.js';
import type { DeleteOptions, ResourceStorage } from './rest/resource-store.js';
import { startWatch } from './rest/watch.js';
import { componentStatuses } from './rest/component-status.js';
import { scaleSubresource } from './rest/scale.js';
import { bindPod } from './rest/binding.js';
import { errors } from './status.js';
import type { ApiRequest, WatchHandle, WatchSink } from './types.js';

export interface ApiResult {
  status: number;
  body: KObject;
  /** The resource the body belongs to (for table conversion); absent for Status bodies. */
  def?: ResourceDef;
  /** True when body is a list of `def` objects. */
  list?: boolean;
}

/** ?dryRun=All; any other value fails the request's options validation (422, as Kubernetes' ValidateDryRun). */
function dryRun(q: URLSearchParams, options: 'CreateOptions' | 'UpdateOptions' | 'PatchOptions' | 'DeleteOptions'): boolean {
  const values = q.getAll('dryRun');
  if (values.some((v) => v !== 'All'))
    throw errors.invalid('meta.k8s.io', options, '', [
      { type: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: []string{${values.map((v) => JSON.stringify(v)).join(', ')}}: supported values: "All"` },
    ]);
  return values.length > 0;
}

function successStatus(def: ResourceDef, obj: KObject): KObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata?.name, group: def.group || undefined, kind: def.plural, uid: obj.metadata?.uid },
  };
}

function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
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
      throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
    opts.propagationPolicy = policy;
  }
  const orphan = q.get('orphanDependents') ?? b.orphanDependents;
  if (orphan !== undefined && orphan !== null) opts.orphanDependents = orphan === true || orphan === 'true';
  if (b.preconditions) opts.preconditions = b.preconditions;
  return opts;
}

export class ApiHandler {
  constructor(
    readonly rs: ResourceStorage,
    readonly registry: ResourceRegistry,
  ) {}

  resolve(req: ApiRequest): ResourceDef {
    const def = this.registry.lookup(req.group, req.version, req.resource);
    if (!def) throw errors.pageNotFound(`/${req.group ? `apis/${req.group}` : 'api'}/${req.version}/${req.resource}`);
    const verbs = def.verbs ?? DEFAULT_VERBS;
    if (!req.subresource && !verbs.includes(req.verb)) throw errors.methodNotSupported(def.group, def.plural, req.verb);
    if (def.namespaced && !req.namespace && req.name) throw errors.pageNotFound(req.resource);
    return def;
  }

  async handle(req: ApiRequest): Promise<ApiResult> {
    const def = this.resolve(req);
    if (def.plural === 'componentstatuses' && def.group === '') return componentStatuses(def, req, this.rs);
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
        const obj = await this.rs.create(def, ns, req.body, { dryRun: dryRun(q, 'CreateOptions') });
        return { status: 201, body: obj, def };
      }
      case 'update': {
        const r = await this.rs.update(def, ns, req.name!, req.body, undefined, { dryRun: dryRun(q, 'UpdateOptions') });
        return { status: r.created ? 201 : 200, body: r.object, def };
      }
      case 'patch':
        return { status: 200, body: await this.patch(def, ns, req, undefined), def };
      case 'delete': {
        const r = await this.rs.delete(def, ns, req.name!, deleteOptions(q, req.body));
        if (!r.deleted || def.returnDeletedObject) return { status: 200, body: r.object, def };
        return { status: 200, body: successStatus(def, r.object) };
      }
      case 'deletecollection': {
        const opts = deleteOptions(q, req.body);
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
        return { status: 200, body: { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(this.rs.cache.revision) }, items }, def, list: true };
      }
      default:
        throw errors.methodNotSupported(def.group, def.plural, req.verb);
    }
  }

  private async patch(def: ResourceDef, ns: string | undefined, req: ApiRequest, sub: 'status' | undefined): Promise<KObject> {
    const type = req.patchType ?? '';
    const r = await this.rs.guaranteedUpdate(def, ns, req.name!, async (current) => {
      if (!current) throw errors.notFound(def.group, def.plural, req.name!);
      const patched = applyPatch(current, type, req.body);
      if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw errors.badRequest('the patched object must be a JSON object');
      patched.metadata = patched.metadata && typeof patched.metadata === 'object' ? patched.metadata : {};
      const rv = patched.metadata.resourceVersion;
      if (rv && rv !== current.metadata!.resourceVersion)
        throw errors.conflict(def.group, def.plural, req.name!, 'the object has been modified; please apply your changes to the latest version and try again');
      if (patched.metadata.name !== current.metadata!.name) throw errors.badRequest(`the name of the object (${patched.metadata.name}) does not match the name on the URL (${req.name})`);
      if (patched.apiVersion !== current.apiVersion || patched.kind !== current.kind) throw errors.badRequest('the apiVersion and kind of an object cannot be changed by a patch');
      return this.rs.prepareUpdate(def, current, patched, sub);
    }, { dryRun: dryRun(req.query, 'PatchOptions') });
    return r.object;
  }

  private async subresource(def: ResourceDef, req: ApiRequest): Promise<ApiResult> {
    const ns = def.namespaced ? req.namespace : undefined;
    const sub = req.subresource!;
    const name = req.name!;
    if (sub === 'status' && def.subresources?.status) {
      if (req.verb === 'get') return { status: 200, body: await this.rs.get(def, ns, name), def };
      if (req.verb === 'update') return { status: 200, body: (await this.rs.update(def, ns, name, req.body, 'status', { dryRun: dryRun(req.query, 'UpdateOptions') })).object, def };
      if (req.verb === 'patch') return { status: 200, body: await this.patch(def, ns, req, 'status'), def };
    }
    if (sub === 'scale' && def.subresources?.scale) return scaleSubresource(this.rs, def, ns, req, def.subresources.scale, dryRun(req.query, req.verb === 'patch' ? 'PatchOptions' : 'UpdateOptions'));
    if (sub === 'binding' && def.subresources?.binding && req.verb === 'create') return bindPod(this.rs, def, ns!, name, req.body, dryRun(req.query, 'CreateOptions'));
    if (sub === 'finalize' && def.plural === 'namespaces' && def.group === '' && req.verb === 'update') {
      const body = req.body as KObject;
      const r = await this.rs.guaranteedUpdate(def, undefined, name, (current) => {
        if (!current) throw errors.notFound('', 'namespaces', name);
        current.spec = { ...(current.spec ?? {}), finalizers: body?.spec?.finalizers ?? [] };
        if (!current.spec.finalizers.length) delete current.spec.finalizers;
        return current;
      }, { dryRun: dryRun(req.query, 'UpdateOptions') });
      return { status: 200, body: r.object, def };
    }
    throw errors.pageNotFound(`${def.plural}/${sub}`);
  }

  async watch(req: ApiRequest, sink: WatchSink): Promise<WatchHandle> {
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
