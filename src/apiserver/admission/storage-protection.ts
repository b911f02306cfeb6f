// StorageObjectInUseProtection admission: every new PVC and PV carries a finalizer, so that
// deleting a claim a pod still uses (or a volume still bound) only marks it; the
// pvc-protection and pv-protection controllers let it go once nothing uses it.
import type { KObject, ResourceDef } from '../../api/types.js';
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../../api/core/persistentvolume.js';
import type { AdmissionHook } from '../rest/resource-store.js';

export function storageObjectInUseProtection(): AdmissionHook {
  return (op, def: ResourceDef, obj: KObject) => {
    if (op !== 'create' || def.group !== '') return;
    const finalizer =
      def.plural === 'persistentvolumeclaims' ? PVC_PROTECTION_FINALIZER : def.plural === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : undefined;
    if (!finalizer) return;
    obj.metadata ??= {};
    const list: unknown[] = Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : [];
    if (!list.includes(finalizer)) obj.metadata.finalizers = [...list, finalizer];
  };
}
