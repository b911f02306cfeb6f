// A typed client for any resource, over either transport. It knows URL shapes, query
// parameters and content types; it knows nothing about what the resources mean.
import type { KObject } from '../api/types.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { Binding, ConfigMap, Endpoints, Event, Namespace, Node, Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import { ApiError, isConflict, type RequestOptions, type StatusBody, type Transport } from './transport.js';
import { apiVersionString, resourcePath } from './paths.js';
import { resources, type ResourceType } from './resources.js';
import type {
  ClientOptions,
  DeleteOptions,
  ListOptions,
  ObjectList,
  PatchOptions,
  PatchType,
  TypedWatchEvent,
  TypedWatchHandlers,
  WatchOptions,
  WriteOptions,
} from './client-options.js';

type Query = NonNullable<RequestOptions['query']>;

// Callers import the option types from here, beside the client.
export type {
  ListOptions,
  ObjectList,
  WatchOptions,
  TypedWatchEvent,
  TypedWatchHandlers,
  WriteOptions,
  PatchOptions,
  PatchType,
  DeleteOptions,
  ClientOptions,
} from './client-options.js';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export function isGone(e: unknown): boolean {
  return e instanceof ApiError && e.code === 410;
}

function withoutUndefined(q: Query): Query {
  const out: Query = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

export class ResourceClient<T = KObject> {
  private readonly apiVersion: string;

  constructor(
    readonly transport: Transport,
    readonly type: ResourceType<T>,
    private readonly defaults: ClientOptions = {},
  ) {
    this.apiVersion = apiVersionString(type);
  }

  /** Namespace for one object: the explicit one, else the object's own. */
  private objectNamespace(explicit: string | undefined, obj?: unknown): string | undefined {
    if (!this.type.namespaced) return undefined;
    const ns = explicit || (obj as KObject | undefined)?.metadata?.namespace;
    if (!ns) throw new TypeError(`${this.type.resource} are namespaced: a namespace is required`);
    return ns;
  }

  private collectionNamespace(ns: string | undefined): string | undefined {
    return this.type.namespaced ? ns || undefined : undefined;
  }

  private path(namespace: string | undefined, name?: string, subresource?: string): string {
    return resourcePath({ ...this.type, namespace, name, subresource });
  }

  private nameOf(obj: unknown): string {
    const name = (obj as KObject | undefined)?.metadata?.name;
    if (!name) throw new TypeError(`${this.type.resource}: the object has no metadata.name`);
    return name;
  }

  /** Bodies and list items without kind get it from the resource, without touching the caller's object. */
  private withKind<O>(obj: O): O {
    const o = obj as KObject;
    if (!this.type.kind || !o || typeof o !== 'object' || (o.kind && o.apiVersion)) return obj;
    return { ...o, apiVersion: o.apiVersion ?? this.apiVersion, kind: o.kind ?? this.type.kind } as O;
  }

  private writeQuery(opts: WriteOptions): Query {
    return withoutUndefined({
      dryRun: opts.dryRun ? 'All' : undefined,
      fieldManager: opts.fieldManager,
      fieldValidation: opts.fieldValidation,
    });
  }

  async get(name: string, namespace?: string): Promise<T> {
    return this.transport.request({ method: 'GET', path: this.path(this.objectNamespace(namespace), name) });
  }

  async list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const list: ObjectList<T> = await this.transport.request({
      method: 'GET',
      path: this.path(this.collectionNamespace(opts.namespace)),
      query: withoutUndefined({
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
        timeoutSeconds: opts.timeoutSeconds,
      }),
    });
    // List items come without apiVersion/kind from kube-apiserver; filling them keeps
    // objects from lists and from watches alike.
    return { ...list, metadata: list.metadata ?? {}, items: (list.items ?? []).map((i) => this.withKind(i)) };
  }

  /**
   * Every page of a list, as one list with the first page's resourceVersion. When a
   * continue token expires mid-way (410), falls back to one unpaged list.
   */
  async listAll(opts: ListOptions = {}): Promise<ObjectList<T>> {
    const items: T[] = [];
    let first: ObjectList<T> | undefined;
    let cont = opts.continue;
    for (;;) {
      let page: ObjectList<T>;
      try {
        page = await this.list({ ...opts, continue: cont });
      } catch (e) {
        if (cont && isGone(e)) return this.list({ ...opts, limit: undefined, continue: undefined });
        throw e;
      }
      first ??= page;
      for (const item of page.items) items.push(item);
      cont = page.metadata.continue;
      if (!cont) break;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  async create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.transport.request({
      method: 'POST',
      path: this.path(this.objectNamespace(opts.namespace, obj)),
      query: this.writeQuery(opts),
      body: this.withKind(obj),
    });
  }

  async update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.transport.request({
      method: 'PUT',
      path: this.path(this.objectNamespace(opts.namespace, obj), this.nameOf(obj)),
      query: this.writeQuery(opts),
      body: this.withKind(obj),
    });
  }

  /** PUT to /status: only the status (and the resourceVersion guard) is taken from `obj`. */
  async updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(this.nameOf(obj), 'status', obj, opts) as Promise<T>;
  }

  /**
   * `patch` is the patch document: an object for merge/strategic/apply, an array of
   * operations for json. Apply needs a field manager (from opts or the client's default).
   */
  async patch(name: string, patch: unknown, type: PatchType, opts: PatchOptions = {}): Promise<T> {
    const fieldManager = opts.fieldManager ?? (type === 'apply' ? this.defaults.fieldManager : undefined);
    if (type === 'apply' && !fieldManager) throw new TypeError('apply patches need a fieldManager');
    return this.transport.request({
      method: 'PATCH',
      path: this.path(this.objectNamespace(opts.namespace, patch), name, opts.subresource),
      query: { ...this.writeQuery({ ...opts, fieldManager }), ...(opts.force ? { force: true } : {}) },
      body: type === 'apply' ? this.withKind(patch) : patch,
      contentType: patchContentTypes[type],
    });
  }

  /**
   * Resolves with the object when deletion is deferred (finalizers, grace period),
   * otherwise with the server's answer (the deleted object or a Success Status).
   */
  async delete(name: string, opts: DeleteOptions = {}): Promise<T | StatusBody> {
    return this.transport.request({
      method: 'DELETE',
      path: this.path(this.objectNamespace(opts.namespace), name),
      body: deleteBody(opts),
    });
  }

  async deleteCollection(opts: ListOptions & DeleteOptions = {}): Promise<ObjectList<T> | StatusBody> {
    return this.transport.request({
      method: 'DELETE',
      path: this.path(this.collectionNamespace(opts.namespace)),
      query: withoutUndefined({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector }),
      body: deleteBody(opts),
    });
  }

  watch(opts: WatchOptions, handlers: TypedWatchHandlers<T>): { stop(): void } {
    const query = withoutUndefined({
      watch: 1,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      resourceVersionMatch: opts.resourceVersionMatch,
      allowWatchBookmarks: opts.allowWatchBookmarks,
      timeoutSeconds: opts.timeoutSeconds,
      sendInitialEvents: opts.sendInitialEvents,
    });
    return this.transport.watch(this.path(this.collectionNamespace(opts.namespace)), query, {
      onEvent: (ev) => {
        const object = ev.type === 'ERROR' || ev.type === 'BOOKMARK' ? ev.object : this.withKind(ev.object);
        handlers.onEvent({ type: ev.type, object } as TypedWatchEvent<T>);
      },
      onClose: (err) => handlers.onClose(err),
    });
  }

  async getSubresource<S = KObject>(name: string, subresource: string, namespace?: string): Promise<S> {
    return this.transport.request({ method: 'GET', path: this.path(this.objectNamespace(namespace), name, subresource) });
  }

  /** PUT to a subresource (status, scale). */
  async updateSubresource<S = KObject, R = S>(name: string, subresource: string, body: S, opts: WriteOptions = {}): Promise<R> {
    return this.transport.request({
      method: 'PUT',
      path: this.path(this.objectNamespace(opts.namespace, body), name, subresource),
      query: this.writeQuery(opts),
      body: subresource === 'status' ? this.withKind(body) : body,
    });
  }

  /** POST to a subresource (pods/binding, pods/eviction). */
  async createSubresource<S = KObject, R = KObject>(name: string, subresource: string, body: S, opts: WriteOptions = {}): Promise<R> {
    return this.transport.request({
      method: 'POST',
      path: this.path(this.objectNamespace(opts.namespace, body), name, subresource),
      query: this.writeQuery(opts),
      body,
    });
  }

  async getScale(name: string, namespace?: string): Promise<Scale> {
    return this.getSubresource<Scale>(name, 'scale', namespace);
  }

  async updateScale(name: string, scale: Scale, opts: WriteOptions = {}): Promise<Scale> {
    const body: Scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', ...scale };
    return this.updateSubresource<Scale>(name, 'scale', body, opts);
  }
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  return body;
}

export class Client {
  private readonly cache = new Map<string, ResourceClient<any>>();

  constructor(
    readonly transport: Transport,
    private readonly options: ClientOptions = {},
  ) {}

  resource<T = KObject>(type: ResourceType<T>): ResourceClient<T> {
    const key = `${type.group}/${type.version}/${type.resource}`;
    let rc = this.cache.get(key);
    if (!rc || rc.type.namespaced !== type.namespaced || rc.type.kind !== type.kind) {
      rc = new ResourceClient<T>(this.transport, type, this.options);
      this.cache.set(key, rc);
    }
    return rc as ResourceClient<T>;
  }

  get pods(): ResourceClient<Pod> {
    return this.resource(resources.pods);
  }
  get nodes(): ResourceClient<Node> {
    return this.resource(resources.nodes);
  }
  get namespaces(): ResourceClient<Namespace> {
    return this.resource(resources.namespaces);
  }
  get configMaps(): ResourceClient<ConfigMap> {
    return this.resource(resources.configMaps);
  }
  get secrets(): ResourceClient<Secret> {
    return this.resource(resources.secrets);
  }
  get services(): ResourceClient<Service> {
    return this.resource(resources.services);
  }
  get endpoints(): ResourceClient<Endpoints> {
    return this.resource(resources.endpoints);
  }
  get events(): ResourceClient<Event> {
    return this.resource(resources.events);
  }
  get serviceAccounts(): ResourceClient<ServiceAccount> {
    return this.resource(resources.serviceAccounts);
  }
  get deployments(): ResourceClient<Deployment> {
    return this.resource(resources.deployments);
  }
  get replicaSets(): ResourceClient<ReplicaSet> {
    return this.resource(resources.replicaSets);
  }
  get statefulSets(): ResourceClient<StatefulSet> {
    return this.resource(resources.statefulSets);
  }
  get daemonSets(): ResourceClient<DaemonSet> {
    return this.resource(resources.daemonSets);
  }
  get jobs(): ResourceClient<Job> {
    return this.resource(resources.jobs);
  }
  get cronJobs(): ResourceClient<CronJob> {
    return this.resource(resources.cronJobs);
  }
  get leases(): ResourceClient<Lease> {
    return this.resource(resources.leases);
  }
  get endpointSlices(): ResourceClient<EndpointSlice> {
    return this.resource(resources.endpointSlices);
  }
  get ingresses(): ResourceClient<Ingress> {
    return this.resource(resources.ingresses);
  }

  /** Assigns a pod to a node through pods/binding, as the scheduler does. */
  async bindPod(namespace: string, name: string, nodeName: string, opts: { uid?: string } = {}): Promise<void> {
    const binding: Binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace, ...(opts.uid ? { uid: opts.uid } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    await this.pods.createSubresource(name, 'binding', binding, { namespace });
  }

  close(): void {
    this.transport.close?.();
  }
}

/**
 * Runs `fn` again when it fails with a 409 Conflict, up to `attempts` times in all, with
 * a short jittered pause; `fn` must re-read the object each time.
 */
export async function retryOnConflict<R>(fn: () => Promise<R>, attempts = 5): Promise<R> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isConflict(e) || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 10));
    }
  }
}
