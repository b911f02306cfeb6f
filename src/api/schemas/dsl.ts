// A compact way to write the structural schemas of the built-in types. Schemas are kept in
// one neutral form (references are bare definition names) and rendered into OpenAPI v2 or
// v3 by src/apiserver/openapi; field validation walks the same form.

/** A JSON-schema fragment. `$ref`, when present, is a bare definition name. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  $ref?: string;
  enum?: unknown[];
  default?: unknown;
  [extension: `x-${string}`]: unknown;
}

export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** Every definition, by its Kubernetes name (e.g. io.k8s.api.core.v1.PodSpec). */
export const definitions = new Map<string, Schema>();

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const CORE = 'io.k8s.api.core.v1.';

const d = (description?: string): Partial<Schema> => (description ? { description } : {});

export const str = (description?: string, extra?: Partial<Schema>): Schema => ({ type: 'string', ...d(description), ...extra });
export const enumStr = (values: string[], description?: string): Schema => ({ type: 'string', ...d(description), enum: values });
export const int = (description?: string): Schema => ({ type: 'integer', format: 'int32', ...d(description) });
export const i64 = (description?: string): Schema => ({ type: 'integer', format: 'int64', ...d(description) });
export const bool = (description?: string): Schema => ({ type: 'boolean', ...d(description) });
export const bytes = (description?: string): Schema => ({ type: 'string', format: 'byte', ...d(description) });
export const ref = (name: string, description?: string): Schema => ({ $ref: name, ...d(description) });
export const time = (description?: string): Schema => ref(`${META}Time`, description);
export const microTime = (description?: string): Schema => ref(`${META}MicroTime`, description);
export const qty = (description?: string): Schema => ref('io.k8s.apimachinery.pkg.api.resource.Quantity', description);
export const ios = (description?: string): Schema => ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString', description);
export const selector = (description?: string): Schema => ref(`${META}LabelSelector`, description);
export const meta = (description = 'Standard object metadata: name, namespace, labels, annotations.'): Schema => ref(`${META}ObjectMeta`, description);
export const core = (name: string, description?: string): Schema => ref(CORE + name, description);

export const map = (value: Schema, description?: string): Schema => ({ type: 'object', ...d(description), additionalProperties: value });
export const strMap = (description?: string): Schema => map(str(), description);
export const qtyMap = (description?: string): Schema => map(qty(), description);

/** A list replaced as a whole by patches. */
export const arr = (items: Schema, description?: string): Schema => ({ type: 'array', ...d(description), items, 'x-kubernetes-list-type': 'atomic' });
/** A list of strings merged as a set. */
export const set = (description?: string, items: Schema = str()): Schema => ({
  type: 'array',
  ...d(description),
  items,
  'x-kubernetes-list-type': 'set',
});
/** A list of objects keyed by `keys[0]` for strategic merge patch and by all `keys` for apply. */
export const keyed = (items: Schema, keys: string[], description?: string, strategy = 'merge'): Schema => ({
  type: 'array',
  ...d(description),
  items,
  'x-kubernetes-list-map-keys': keys,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-patch-merge-key': keys[0],
  'x-kubernetes-patch-strategy': strategy,
});
/** A keyed list merged by strategic merge patch but atomic for apply (no list-type map). */
export const mergeOnly = (items: Schema, key: string, description?: string, strategy = 'merge'): Schema => ({
  type: 'array',
  ...d(description),
  items,
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': strategy,
});
export const conditions = (name: string, description = 'Latest observations of the state, one per condition type.'): Schema =>
  keyed(ref(name), ['type'], description);

/** Declares an object type under its definition name. */
export function type(
  name: string,
  description: string,
  properties: Record<string, Schema>,
  opts: { required?: string[]; ext?: Record<string, unknown> } = {},
): string {
  const s: Schema = { type: 'object', description, properties, ...(opts.required?.length ? { required: opts.required } : {}), ...(opts.ext ?? {}) };
  definitions.set(name, s);
  return name;
}

/** Declares a scalar-like definition (Time, Quantity, IntOrString). */
export function scalar(name: string, schema: Schema): void {
  definitions.set(name, schema);
}

/** Declares a top-level kind: apiVersion, kind and metadata are added. */
export function kind(
  name: string,
  gvks: Gvk[],
  description: string,
  properties: Record<string, Schema>,
  opts: { required?: string[]; list?: boolean } = {},
): string {
  type(
    name,
    description,
    {
      apiVersion: str('The API version of this object, e.g. v1 or apps/v1.'),
      kind: str('The type of this object, in CamelCase.'),
      metadata: opts.list ? ref(`${META}ListMeta`, 'Standard list metadata: resourceVersion and continue token.') : meta(),
      ...properties,
    },
    { required: opts.required, ext: { 'x-kubernetes-group-version-kind': gvks } },
  );
  return name;
}

/** Declares a kind and its List. */
export function kindWithList(name: string, gvk: Gvk, description: string, properties: Record<string, Schema>, required?: string[]): string {
  kind(name, [gvk], description, properties, { required });
  const short = gvk.kind;
  kind(
    `${name}List`,
    [{ ...gvk, kind: `${short}List` }],
    `A list of ${short} objects.`,
    { items: arr(ref(name), `The ${short} objects.`) },
    { required: ['items'], list: true },
  );
  return name;
}

/** A GroupVersionKind maker for one group version. */
export const gv = (group: string, version: string) => (k: string) => ({ group, version, kind: k });
