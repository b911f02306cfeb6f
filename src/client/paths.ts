// URL paths of the Kubernetes REST API. The core group lives under /api, every other
// group under /apis/<group>; everything after the group/version prefix has one shape.

export interface GroupVersion {
  /** '' for the core group. */
  group: string;
  version: string;
}

export interface ResourcePathParts extends GroupVersion {
  /** Plural resource name, e.g. "pods". */
  resource: string;
  /** Omit for cluster-scoped resources and for lists across all namespaces. */
  namespace?: string;
  name?: string;
  /** e.g. "status", "scale", "binding"; requires `name`. */
  subresource?: string;
}

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(gv: GroupVersion): string {
  return gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`;
}

/** `apiVersion` as written in objects: `v1` or `apps/v1`. */
export function apiVersionString(gv: GroupVersion): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

function segment(what: string, value: string): string {
  // An empty or slash-bearing segment would silently address a different object.
  if (!value || value === '.' || value === '..' || value.includes('/')) {
    throw new TypeError(`invalid ${what} for an API path: ${JSON.stringify(value)}`);
  }
  return encodeURIComponent(value);
}

/**
 * Path of a collection, an object or an object's subresource, e.g.
 * `/api/v1/namespaces/ns/pods/x/status` or `/apis/apps/v1/deployments`.
 */
export function resourcePath(p: ResourcePathParts): string {
  let path = groupVersionPath(p);
  if (p.namespace !== undefined && p.namespace !== '') path += `/namespaces/${segment('namespace', p.namespace)}`;
  path += `/${segment('resource', p.resource)}`;
  if (p.name !== undefined) path += `/${segment('name', p.name)}`;
  if (p.subresource !== undefined) {
    if (p.name === undefined) throw new TypeError(`subresource ${p.subresource} needs an object name`);
    path += `/${segment('subresource', p.subresource)}`;
  }
  return path;
}
