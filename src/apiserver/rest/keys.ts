import type { StorageBinding } from '../../api/registry.js';
import type { ResourceDef } from '../../api/types.js';

/** The store key of one object: /registry/<resource>/<namespace>/<name> or /registry/<resource>/<name>. */
export function objectKey(def: ResourceDef, binding: StorageBinding, namespace: string | undefined, name: string): string {
  return def.namespaced ? `${binding.prefix}${namespace}/${name}` : `${binding.prefix}${name}`;
}

/** The key prefix a list covers: the whole resource, or one namespace of it. */
export function listPrefix(def: ResourceDef, binding: StorageBinding, namespace: string | undefined): string {
  return def.namespaced && namespace ? `${binding.prefix}${namespace}/` : binding.prefix;
}
