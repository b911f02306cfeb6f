// DefaultStorageClass admission: a new PVC that names no StorageClass gets the default
// one (the class annotated storageclass.kubernetes.io/is-default-class=true; the newest
// when several are, as Kubernetes chooses). An empty string is a deliberate "no class" and
// stays; so does a claim that already names a PV to bind to.
import { pickDefaultClass } from '../../api/storage/index.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import type { AdmissionHook } from '../rest/resource-store.js';
import type { WatchCache } from '../watch-cache.js';

const PREFIX = '/registry/storageclasses/';

export function defaultStorageClass(cache: WatchCache): AdmissionHook {
  // Synchronous (no promise) for everything but a claim without a class.
  return (op, def: ResourceDef, obj: KObject) => {
    if (op !== 'create' || def.group !== '' || def.plural !== 'persistentvolumeclaims') return;
    const spec = obj.spec;
    if (!spec || typeof spec !== 'object' || spec.storageClassName != null) return;
    // Legacy spelling of the class: still honoured, so it counts as having one.
    if (obj.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined) return;
    return assignDefault(cache, spec);
  };
}

async function assignDefault(cache: WatchCache, spec: Record<string, any>): Promise<void> {
  await cache.sync();
  const { keys, objects } = cache.list(PREFIX, PREFIX);
  const cls = pickDefaultClass(keys.map((k) => objects.get(k)!).filter(Boolean));
  if (cls) spec.storageClassName = cls.metadata!.name;
}
