// NamespaceLifecycle admission: nothing is created in a namespace that does not exist
// or is being terminated, and the namespaces the system relies on cannot be deleted.
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors } from '../status.js';
import type { WatchCache } from '../watch-cache.js';
import type { AdmissionHook } from '../rest/resource-store.js';

export const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

export function namespaceLifecycle(cache: WatchCache): AdmissionHook {
  // Synchronous (no promise) for the writes it has nothing to check.
  return (op, def: ResourceDef, obj: KObject) => {
    if (def.group === '' && def.plural === 'namespaces') {
      if (op === 'delete' && IMMORTAL_NAMESPACES.has(obj.metadata?.name))
        throw errors.forbidden('', 'namespaces', obj.metadata!.name, 'this namespace may not be deleted');
      return;
    }
    if (op !== 'create' || !def.namespaced) return;
    return namespaceOpen(cache, def, obj);
  };
}

async function namespaceOpen(cache: WatchCache, def: ResourceDef, obj: KObject): Promise<void> {
  const ns = obj.metadata?.namespace;
  await cache.sync();
  const nsObj = cache.get(`/registry/namespaces/${ns}`);
  if (!nsObj) throw errors.notFound('', 'namespaces', ns);
  if (nsObj.metadata?.deletionTimestamp)
    throw errors.forbidden(def.group, def.plural, obj.metadata?.name ?? '', `unable to create new content in namespace ${ns} because it is being terminated`);
}
