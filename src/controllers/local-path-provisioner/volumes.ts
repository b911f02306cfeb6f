// What the provisioner makes and how binding is decided, as pure functions: the default
// StorageClass, the PersistentVolume for a claim, and whether an existing PV fits a claim.
import path from 'node:path';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { DEFAULT_CLASS_ANNOTATION } from '../../api/storage/index.js';
import { compareQuantity } from '../../api/core/validate-helpers.js';

export const PROVISIONER = 'skiff.io/local-path';
export const DEFAULT_CLASS_NAME = 'local-path';
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
export const STORAGE_PROVISIONER_ANNOTATION = 'volume.kubernetes.io/storage-provisioner';
export const BETA_STORAGE_PROVISIONER_ANNOTATION = 'volume.beta.kubernetes.io/storage-provisioner';
export const SELECTED_NODE_ANNOTATION = 'volume.kubernetes.io/selected-node';
export const BIND_COMPLETED_ANNOTATION = 'pv.kubernetes.io/bind-completed';
export const BOUND_BY_CONTROLLER_ANNOTATION = 'pv.kubernetes.io/bound-by-controller';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export function defaultStorageClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: DEFAULT_CLASS_NAME, annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } },
    provisioner: PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  };
}

/** The claim's class: the field, else the legacy annotation; '' for none. */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

export function volumeClass(pv: PersistentVolume): string {
  return pv.spec?.storageClassName ?? pv.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

/** The directory a claim's volume lives in; the pvc uid keeps claims of the same name apart. */
export function volumePath(storageDir: string, pvc: PersistentVolumeClaim): string {
  return path.join(storageDir, `${pvc.metadata!.namespace}_${pvc.metadata!.name}_${pvc.metadata!.uid}`);
}

export function pvNameFor(pvc: PersistentVolumeClaim): string {
  return `pvc-${pvc.metadata!.uid}`;
}

/**
 * The PV for a claim of a local-path class: a hostPath directory (the node's agent creates
 * it on first mount), tied to the node the scheduler chose when there is one.
 */
export function provisionedVolume(
  pvc: PersistentVolumeClaim,
  cls: StorageClass,
  storageDir: string,
  node?: { name: string; hostname?: string },
): PersistentVolume {
  const pv: PersistentVolume = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: pvNameFor(pvc), annotations: { [PROVISIONED_BY_ANNOTATION]: PROVISIONER } },
    spec: {
      capacity: { storage: (pvc.spec?.resources?.requests?.storage as string | undefined) ?? '0' },
      accessModes: pvc.spec?.accessModes?.length ? [...pvc.spec.accessModes] : ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
      storageClassName: cls.metadata!.name,
      volumeMode: pvc.spec?.volumeMode ?? 'Filesystem',
      hostPath: { path: volumePath(storageDir, pvc), type: 'DirectoryOrCreate' },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: pvc.metadata!.namespace,
        name: pvc.metadata!.name,
        uid: pvc.metadata!.uid,
        resourceVersion: pvc.metadata!.resourceVersion,
      },
    },
  };
  if (cls.mountOptions?.length) pv.spec!.mountOptions = [...cls.mountOptions];
  if (node) {
    pv.spec!.nodeAffinity = {
      required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: 'In', values: [node.hostname ?? node.name] }] }] },
    };
  }
  return pv;
}

/** True when the PV's claimRef names this claim (by uid when the ref has one). */
export function refersTo(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata?.name || ref.namespace !== pvc.metadata?.namespace) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

/**
 * The smallest available PV that satisfies the claim (class, access modes, size, volume
 * mode, an explicit volumeName), as the PV controller's findBestMatchForClaim.
 */
export function bestMatch(pvc: PersistentVolumeClaim, pvs: PersistentVolume[]): PersistentVolume | undefined {
  const want = pvc.spec?.resources?.requests?.storage ?? '0';
  const modes = pvc.spec?.accessModes ?? [];
  const mode = pvc.spec?.volumeMode ?? 'Filesystem';
  let best: PersistentVolume | undefined;
  for (const pv of pvs) {
    if (pv.spec?.claimRef || pv.metadata?.deletionTimestamp) continue;
    if (pv.status?.phase && pv.status.phase !== 'Available' && pv.status.phase !== 'Pending') continue;
    if (volumeClass(pv) !== claimClass(pvc)) continue;
    if (pvc.spec?.volumeName && pvc.spec.volumeName !== pv.metadata?.name) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    if (!modes.every((m) => pv.spec?.accessModes?.includes(m))) continue;
    const cap = pv.spec?.capacity?.storage ?? '0';
    if (compareQuantity(cap, want) < 0) continue;
    if (!best || compareQuantity(cap, best.spec?.capacity?.storage ?? '0') < 0) best = pv;
  }
  return best;
}
