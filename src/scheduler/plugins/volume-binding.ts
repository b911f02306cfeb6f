// VolumeBinding: every PVC the pod mounts must exist. A bound claim's PV must admit the node
// (its node affinity). An unbound claim is fine only when its StorageClass binds on first
// consumer: the scheduler picks the node, and PreBind records it on the claim as the
// `volume.kubernetes.io/selected-node` annotation, which tells the provisioner where to make
// the volume. (The kubelet waits for the claim to be bound before it mounts it.)
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { Client } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import { Status, type Plugin } from '../types.js';
import { nodeSelectorMatches } from './node-selector.js';

export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';

export interface VolumeLookup {
  pvc(namespace: string, name: string): PersistentVolumeClaim | undefined;
  pv(name: string): PersistentVolume | undefined;
  storageClass?(name: string): StorageClass | undefined;
}

const STATE = 'VolumeBinding';
const CONFLICT = 'node(s) had volume node affinity conflict';
const BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";

interface BindingState {
  pvs: PersistentVolume[];
  /** Claims waiting for a node, to be annotated in PreBind. */
  delayed: PersistentVolumeClaim[];
}

export function volumeBinding(lookup: VolumeLookup, client?: Client): Plugin {
  return {
    name: 'VolumeBinding',
    events: ['PvcChange', 'PvChange', 'NodeAdd', 'NodeUpdate', 'StorageClassChange'],
    preFilter(state, pod) {
      const claims: { name: string; ephemeral: boolean }[] = [];
      for (const v of pod.pod.spec?.volumes ?? []) {
        if (v.persistentVolumeClaim) claims.push({ name: v.persistentVolumeClaim.claimName, ephemeral: false });
        else if (v.ephemeral) claims.push({ name: `${pod.pod.metadata?.name}-${v.name}`, ephemeral: true });
      }
      if (!claims.length) return Status.skip;
      const st: BindingState = { pvs: [], delayed: [] };
      for (const { name, ephemeral } of claims) {
        const pvc = lookup.pvc(pod.namespace, name);
        if (!pvc)
          return Status.unresolvable(
            ephemeral ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${name}"` : `persistentvolumeclaim "${name}" not found`,
          );
        if (ephemeral && !pvc.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'Pod' && r.uid === pod.pod.metadata?.uid))
          return Status.unresolvable(`persistentvolumeclaim "${name}" was not created for the pod`);
        if (pvc.metadata?.deletionTimestamp) return Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
        const pvName = pvc.spec?.volumeName;
        if (!pvName) {
          const cls = pvc.spec?.storageClassName ? lookup.storageClass?.(pvc.spec.storageClassName) : undefined;
          if (cls?.volumeBindingMode !== 'WaitForFirstConsumer') return Status.unresolvable('pod has unbound immediate PersistentVolumeClaims');
          st.delayed.push(pvc);
          continue;
        }
        const pv = lookup.pv(pvName);
        if (!pv) return Status.unresolvable(`pvc(s) bound to non-existent pv(s)`);
        st.pvs.push(pv);
      }
      state.write(STATE, st);
      return undefined;
    },
    filter(state, _pod, node) {
      const st = state.read<BindingState>(STATE);
      for (const pv of st?.pvs ?? []) {
        const req = pv.spec?.nodeAffinity?.required;
        if (req && !nodeSelectorMatches(req, node)) return Status.unresolvable(CONFLICT);
      }
      const name = node.name;
      // A claim already promised to a node (an earlier attempt) is provisioned there only.
      for (const pvc of st?.delayed ?? []) {
        const selected = pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
        if (selected && selected !== name) return Status.unschedulable(BIND_CONFLICT);
      }
      return undefined;
    },
    async preBind(state, _pod, nodeName) {
      const st = state.read<BindingState>(STATE);
      if (!st?.delayed.length) return undefined;
      if (!client) return Status.error('VolumeBinding has no API client to record the selected node');
      for (const pvc of st.delayed) {
        if (pvc.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === nodeName) continue;
        try {
          await client
            .resource(resources.persistentVolumeClaims)
            .patch(pvc.metadata!.name!, { metadata: { annotations: { [SELECTED_NODE_ANNOTATION]: nodeName } } }, 'merge', {
              namespace: pvc.metadata!.namespace,
            });
        } catch (err) {
          if (isNotFound(err)) return Status.unresolvable(`persistentvolumeclaim "${pvc.metadata!.name}" not found`);
          return Status.error(`recording selected node on persistentvolumeclaim ${pvc.metadata!.namespace}/${pvc.metadata!.name}: ${(err as Error).message}`);
        }
      }
      return undefined;
    },
  };
}
