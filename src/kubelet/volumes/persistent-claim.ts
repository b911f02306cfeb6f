// persistentVolumeClaim, and generic ephemeral volumes (whose claim the pod owns): the claim
// must be bound; its PersistentVolume's hostPath or local path is what the container mounts
// (the only volume types a single node serves itself).
import type { PreparedVolume, VolumeContext, VolumePlugin } from './types.js';
import { checkHostPathType } from './host-path.js';

export const PERSISTENT_CLAIM = 'kubernetes.io/persistent-claim';

export const persistentClaimPlugin: VolumePlugin = {
  name: PERSISTENT_CLAIM,
  handles: (v) => !!v.persistentVolumeClaim || !!v.ephemeral,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    // A generic ephemeral volume is the claim the ephemeral-volume controller made for this pod.
    const ephemeral = !ctx.volume.persistentVolumeClaim;
    const src = ctx.volume.persistentVolumeClaim ?? { claimName: `${ctx.pod.metadata!.name}-${ctx.volume.name}`, readOnly: false };
    const ns = ctx.pod.metadata!.namespace!;
    const pvc = await ctx.sources.persistentVolumeClaim(ns, src.claimName);
    if (!pvc) throw new Error(`persistentvolumeclaim "${src.claimName}" not found`);
    if (ephemeral && !pvc.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'Pod' && r.uid === ctx.pod.metadata?.uid))
      throw new Error(`PVC ${ns}/${src.claimName} was not created for pod ${ns}/${ctx.pod.metadata!.name} (pod is not owner)`);
    const pvName = pvc.spec?.volumeName;
    if (!pvName || pvc.status?.phase !== 'Bound')
      throw new Error(`PVC ${ns}/${src.claimName} has non-bound phase ("${pvc.status?.phase ?? 'Pending'}") or empty pvc.Spec.VolumeName ("${pvName ?? ''}")`);
    const pv = await ctx.sources.persistentVolume(pvName);
    if (!pv) throw new Error(`persistentvolume "${pvName}" not found`);
    const ref = pv.spec?.claimRef;
    if (ref && (ref.namespace !== ns || ref.name !== src.claimName || (ref.uid && ref.uid !== pvc.metadata?.uid)))
      throw new Error(`persistentvolume "${pvName}" is bound to a different claim (${ref.namespace}/${ref.name})`);
    let hostPath: string;
    if (pv.spec?.hostPath) {
      hostPath = pv.spec.hostPath.path;
      await checkHostPathType(hostPath, pv.spec.hostPath.type);
    } else if (pv.spec?.local) {
      hostPath = pv.spec.local.path;
      await checkHostPathType(hostPath, 'Directory');
    } else throw new Error(`persistentvolume "${pvName}": only hostPath and local volumes can be mounted on this node`);
    return { hostPath, readOnly: !!src.readOnly, rendered: false };
  },
};
