// OpenAPI documents of the served API: Swagger 2.0 at /openapi/v2 and OpenAPI 3.0 at
// /openapi/v3 (a root listing one document per group-version, each addressed by a content
// hash so clients cache it for good). Built-in kinds come from src/api/schemas; custom
// resources publish the openAPIV3Schema their CRD put on the ResourceDef (`customSchema`).
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ResourceRegistry } from '../../api/registry.js';
import { builtinSchemaName, type Schema } from '../../api/schemas/index.js';
import type { ResourceDef } from '../../api/types.js';
import { PathBuilder, type KindRef } from './paths.js';
import { closure, renderDefinitions, renderSchema, type Dialect } from './render.js';
import { encodeSwaggerProtobuf } from './v2-protobuf.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const COMMON = [`${META}Status`, `${META}DeleteOptions`, `${META}Patch`, `${META}ObjectMeta`, `${META}ListMeta`];
const INFO = { title: 'Kubernetes', version: 'v1.32.0' };

export interface OpenApiDocument {
  json: string;
  /** `json` encoded once, so serving a cached document copies bytes and nothing more. */
  body: Buffer;
  /** Content hash: the ETag and the `hash` of the document's URL. */
  etag: string;
  gzipped(): Buffer;
}

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Kubernetes' definition name for a custom kind: the group reversed, e.g. com.example.stable.v1.CronTab. */
function customName(def: ResourceDef): string {
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

const NOT_IN_SWAGGER2 = new Set(['anyOf', 'oneOf', 'allOf', 'not', 'nullable', 'x-kubernetes-preserve-unknown-fields']);

/** A custom resource's schema (plain OpenAPI v3, no references) made safe for a dialect. */
function customSchema(schema: Record<string, unknown>, dialect: Dialect): Record<string, unknown> {
  if (dialect === 'v3') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (NOT_IN_SWAGGER2.has(k)) continue;
    if (k === 'properties' && v && typeof v === 'object')
      out[k] = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, customSchema(p as Record<string, unknown>, dialect)]));
    else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object' && !Array.isArray(v))
      out[k] = customSchema(v as Record<string, unknown>, dialect);
    else out[k] = v;
  }
  return out;
}

/** The definitions and path items of a set of resources, in one dialect. */
function describe(defs: ResourceDef[], dialect: Dialect): { paths: Record<string, unknown>; schemas: Record<string, unknown> } {
  const builder = new PathBuilder(dialect);
  const paths: Record<string, unknown> = {};
  const roots = new Set(COMMON);
  const extra: Record<string, unknown> = {};
  const scale: KindRef = { schema: SCALE, gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } };
  for (const def of defs) {
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    let name = builtinSchemaName(def.group, def.version, def.kind);
    if (name && !def.customSchema) {
      roots.add(name);
      roots.add(`${name}List`);
    } else {
      name = customName(def);
      const declared = def.customSchema ? customSchema(def.customSchema, dialect) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      const props = (declared.properties ?? {}) as Record<string, unknown>;
      extra[name] = {
        ...declared,
        type: 'object',
        properties: {
          ...props,
          apiVersion: renderSchema({ type: 'string', description: 'The versioned schema of this object.' }, dialect),
          kind: renderSchema({ type: 'string', description: 'The type of this object, in CamelCase.' }, dialect),
          metadata: renderSchema({ $ref: `${META}ObjectMeta`, description: 'Standard object metadata.' } as Schema, dialect),
        },
        'x-kubernetes-group-version-kind': [gvk],
      };
      extra[`${name}List`] = {
        type: 'object',
        description: `A list of ${def.kind} objects.`,
        required: ['items'],
        properties: {
          apiVersion: { type: 'string', description: 'The versioned schema of this object.' },
          kind: { type: 'string', description: 'The type of this object, in CamelCase.' },
          items: { type: 'array', items: { $ref: `${dialect === 'v3' ? '#/components/schemas/' : '#/definitions/'}${name}` } },
          metadata: renderSchema({ $ref: `${META}ListMeta` } as Schema, dialect),
        },
        'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${def.kind}List` }],
      };
    }
    if (def.subresources?.scale) roots.add(SCALE);
    Object.assign(paths, builder.resource(def, { schema: name, gvk }, scale));
  }
  return { paths, schemas: { ...renderDefinitions(closure(roots), dialect), ...extra } };
}

/** A document already encoded (the v2 protobuf form). */
function encoded(body: Buffer): OpenApiDocument {
  let gz: Buffer | undefined;
  return {
    get json(): string {
      throw new Error('a protobuf document has no JSON text');
    },
    body,
    etag: createHash('sha512').update(body).digest('hex').toUpperCase(),
    gzipped: () => (gz ??= gzipSync(body)),
  };
}

function document(json: string): OpenApiDocument {
  let gz: Buffer | undefined;
  return {
    json,
    body: Buffer.from(json),
    etag: createHash('sha512').update(json).digest('hex').toUpperCase(),
    gzipped: () => (gz ??= gzipSync(json)),
  };
}

/** Builds documents on first use and keeps them until the registry changes (a CRD comes or goes). */
export class OpenApiService {
  private cache = new Map<string, OpenApiDocument>();
  private generation = -1;

  constructor(private readonly registry: ResourceRegistry) {}

  private fresh(): void {
    if (this.generation !== this.registry.generation) {
      this.cache.clear();
      this.generation = this.registry.generation;
    }
  }

  /** The v3 root document (path ''), or a group-version document (e.g. 'apis/apps/v1'); undefined when there is none. */
  v3(path: string): OpenApiDocument | undefined {
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
      const defs = this.registry.resourcesIn(group, version);
      if (!defs.length) return undefined;
      const { paths, schemas } = describe(sortDefs(defs), 'v3');
      doc = {
        openapi: '3.0.0',
        info: INFO,
        paths,
        components: {
          schemas,
          securitySchemes: { BearerToken: { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' } },
        },
      };
    }
    const entry = document(JSON.stringify(doc));
    this.cache.set(path, entry);
    return entry;
  }

  /** The Swagger 2.0 document in gnostic's protobuf encoding (what kubectl's v2 client asks for). */
  v2Protobuf(): OpenApiDocument {
    const json = this.v2();
    const hit = this.cache.get('#v2pb');
    if (hit) return hit;
    const entry = encoded(encodeSwaggerProtobuf(JSON.parse(json.json)));
    this.cache.set('#v2pb', entry);
    return entry;
  }

  /** The Swagger 2.0 document of everything served. */
  v2(): OpenApiDocument {
    this.fresh();
    const hit = this.cache.get('#v2');
    if (hit) return hit;
    const { paths, schemas } = describe(sortDefs(this.registry.all()), 'v2');
    const doc = {
      swagger: '2.0',
      info: INFO,
      paths,
      definitions: schemas,
      securityDefinitions: { BearerToken: { type: 'apiKey', description: 'Bearer token authentication', name: 'authorization', in: 'header' } },
      security: [{ BearerToken: [] }],
    };
    const entry = document(JSON.stringify(doc));
    this.cache.set('#v2', entry);
    return entry;
  }
}

function sortDefs(defs: ResourceDef[]): ResourceDef[] {
  return [...defs].sort((a, b) => `${a.group}/${a.version}/${a.plural}`.localeCompare(`${b.group}/${b.version}/${b.plural}`));
}
