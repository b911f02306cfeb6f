// VolumeBinding, for claims that are already bound: every PVC the pod mounts must exist
// and be bound, and the bound PV's node affinity must admit the node. (Dynamic
// provisioning and delayed binding are not done here.)
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { Status, type Plugin } from '../types.js';
import { nodeSelectorMatches } from './node-selector.js';

export interface VolumeLookup {
  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined;
  pv(name: string): PersistentVolume | undefined;
}

const STATE = 'VolumeBinding';
const CONFLICT = 'node(s) had volume node affinity conflict';

export function volumeBinding(lookup: VolumeLookup): Plugin {
  return {
    name: 'VolumeBinding',
    events: ['PvcChange', 'PvChange', 'NodeAdd', 'NodeUpdate', 'StorageClassChange'],
    preFilter(state, pod) {
      const claims = (pod.pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => v.persistentVolumeClaim!.claimName);
      if (!claims.length) return Status.skip;
      const pvs: PersistentVolume[] = [];
      for (const name of claims) {
        const pvc = lookup.pvc(pod.namespace, name);
        if (!pvc) return Status.unresolvable(`persistentvolumeclaim "${name}" not found`);
        if (pvc.metadata?.deletionTimestamp) return Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
        const pvName = pvc.spec?.volumeName;
        if (!pvName) return Status.unresolvable('pod has unbound immediate PersistentVolumeClaims');
        const pv = lookup.pv(pvName);
        if (!pv) return Status.unresolvable(`pvc(s) bound to non-existent pv(s)`);
        pvs.push(pv);
      }
      state.write(STATE, pvs);
      return undefined;
    },
    filter(state, _pod, node) {
      for (const pv of state.read<PersistentVolume[]>(STATE) ?? []) {
        const req = pv.spec?.nodeAffinity?.required;
        if (req && !nodeSelectorMatches(req, node)) return Status.unresolvable(CONFLICT);
      }
      return undefined;
    },
  };
}
