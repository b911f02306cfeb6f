// OpenAPI documents. kubectl reads /openapi/v3 to learn that the server validates fields
// itself (the fieldValidation parameter on write operations) and, for each kind, its
// group-version-kind; the schemas here are open objects until per-type schemas land.
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from '../api/registry.js';
import type { ResourceDef } from '../api/types.js';

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({
  name,
  in: 'query',
  description: `${name} query parameter`,
  schema: { type: 'string', uniqueItems: true },
}));

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function schemaName(def: ResourceDef): string {
  const g = def.group ? def.group.split('.').reverse().join('.') : 'core';
  return `io.k8s.api.${g}.${def.version}.${def.kind}`;
}

function gvk(def: ResourceDef) {
  return [{ group: def.group, version: def.version, kind: def.kind }];
}

function gvDocument(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const def of registry.resourcesIn(group, version)) {
    const base = `/${gvPath(group, version)}${def.namespaced ? '/namespaces/{namespace}' : ''}/${def.plural}`;
    const ref = { $ref: `#/components/schemas/${schemaName(def)}` };
    const body = { content: { '*/*': { schema: ref } }, required: true };
    const ok = { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } };
    const op = (verb: string, extra: Record<string, unknown> = {}) => ({
      operationId: `${verb}${def.kind}`,
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk(def)[0],
      responses: ok,
      ...extra,
    });
    paths[base] = { get: op('list'), post: op('post', { requestBody: body, parameters: WRITE_PARAMS }) };
    paths[`${base}/{name}`] = {
      get: op('get'),
      put: op('put', { requestBody: body, parameters: WRITE_PARAMS }),
      patch: op('patch', { requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object' } } } }, parameters: WRITE_PARAMS }),
      delete: op('delete'),
    };
    schemas[schemaName(def)] = {
      type: 'object',
      description: `${def.kind} (${def.group || 'core'}/${def.version})`,
      'x-kubernetes-group-version-kind': gvk(def),
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

/** Caches documents per registry generation, each with a content hash kubectl uses as a cache key. */
export class OpenApiService {
  private cache = new Map<string, { json: string; etag: string }>();
  private generation = -1;

  constructor(private readonly registry: ResourceRegistry) {}

  private fresh(): void {
    if (this.generation !== this.registry.generation) {
      this.cache.clear();
      this.generation = this.registry.generation;
    }
  }

  /** The v3 root document, or a group-version document; undefined when there is no such path. */
  v3(path: string): { json: string; etag: string } | undefined {
    this.fresh();
    const hit = this.cache.get(path);
    if (hit) return hit;
    let doc: unknown;
    if (path === '') {
      const paths: Record<string, unknown> = {};
      for (const g of this.registry.groups())
        for (const v of g.versions) {
          const p = gvPath(g.name, v);
          paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${this.v3(p)!.etag}` };
        }
      doc = { paths };
    } else {
      const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
      if (!m) return undefined;
      const [group, version] = m[1] ? ['', m[1]] : [m[2]!, m[3]!];
      if (!this.registry.resourcesIn(group, version).length) return undefined;
      doc = gvDocument(this.registry, group, version);
    }
    const json = JSON.stringify(doc);
    const entry = { json, etag: createHash('sha512').update(json).digest('hex').slice(0, 128).toUpperCase() };
    this.cache.set(path, entry);
    return entry;
  }
}
