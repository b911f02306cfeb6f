// core/v1 Volume and its sources (the common ones in full, the rest as their key fields).
import { arr, bool, core, CORE, i64, int, qty, ref, selector, str, strMap, type, type Schema } from './dsl.js';

type(
  `${CORE}KeyToPath`,
  'Projects one key to a file.',
  { key: str('The key.'), path: str('Relative file path.'), mode: int('File mode bits, 0000 to 0777.') },
  { required: ['key', 'path'] },
);
type(
  `${CORE}LocalObjectReference`,
  'Names an object in the same namespace.',
  { name: str('Name of the object.') },
  { ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(`${CORE}EmptyDirVolumeSource`, 'A directory that starts empty and lives as long as the pod.', {
  medium: str('Storage medium: empty for node disk, Memory for tmpfs.'),
  sizeLimit: qty('Most the directory may hold.'),
});
type(
  `${CORE}HostPathVolumeSource`,
  'A file or directory of the node.',
  { path: str('Path on the node.'), type: str('What must exist at the path, e.g. Directory or DirectoryOrCreate.') },
  { required: ['path'] },
);
type(`${CORE}ConfigMapVolumeSource`, 'Files from the keys of a ConfigMap.', {
  name: str('Name of the ConfigMap.'),
  items: arr(ref(`${CORE}KeyToPath`), 'Keys to project; all keys by default.'),
  defaultMode: int('Mode bits of the files; 0644 by default.'),
  optional: bool('Whether the ConfigMap may be missing.'),
});
type(`${CORE}SecretVolumeSource`, 'Files from the keys of a Secret.', {
  secretName: str('Name of the Secret.'),
  items: arr(ref(`${CORE}KeyToPath`), 'Keys to project; all keys by default.'),
  defaultMode: int('Mode bits of the files; 0644 by default.'),
  optional: bool('Whether the Secret may be missing.'),
});
type(
  `${CORE}PersistentVolumeClaimVolumeSource`,
  'The volume bound to a PersistentVolumeClaim.',
  { claimName: str('Name of the claim.'), readOnly: bool('Mount read-only.') },
  { required: ['claimName'] },
);
type(
  `${CORE}NFSVolumeSource`,
  'An NFS export.',
  { server: str('NFS server.'), path: str('Exported path.'), readOnly: bool('Mount read-only.') },
  { required: ['server', 'path'] },
);
type(
  `${CORE}DownwardAPIVolumeFile`,
  'A file holding a field of the pod.',
  {
    path: str('Relative file path.'),
    fieldRef: core('ObjectFieldSelector', 'A field of the pod.'),
    resourceFieldRef: core('ResourceFieldSelector', 'A resource of a container.'),
    mode: int('File mode bits.'),
  },
  { required: ['path'] },
);
type(`${CORE}DownwardAPIVolumeSource`, 'Files holding fields of the pod.', {
  items: arr(ref(`${CORE}DownwardAPIVolumeFile`), 'The files.'),
  defaultMode: int('Mode bits of the files.'),
});
type(`${CORE}DownwardAPIProjection`, 'Downward API files in a projected volume.', { items: arr(ref(`${CORE}DownwardAPIVolumeFile`), 'The files.') });
type(`${CORE}ConfigMapProjection`, 'ConfigMap keys in a projected volume.', {
  name: str('Name of the ConfigMap.'),
  items: arr(ref(`${CORE}KeyToPath`), 'Keys to project.'),
  optional: bool('Whether it may be missing.'),
});
type(`${CORE}SecretProjection`, 'Secret keys in a projected volume.', {
  name: str('Name of the Secret.'),
  items: arr(ref(`${CORE}KeyToPath`), 'Keys to project.'),
  optional: bool('Whether it may be missing.'),
});
type(
  `${CORE}ServiceAccountTokenProjection`,
  'A service account token in a projected volume.',
  {
    audience: str('Intended audience of the token.'),
    expirationSeconds: i64('Requested lifetime; 1 hour by default.'),
    path: str('Relative file path.'),
  },
  { required: ['path'] },
);
type(
  `${CORE}ClusterTrustBundleProjection`,
  'Trust anchors in a projected volume.',
  {
    name: str('Name of a ClusterTrustBundle.'),
    signerName: str('Select bundles of this signer.'),
    labelSelector: selector('Select bundles by label.'),
    optional: bool('Whether it may be missing.'),
    path: str('Relative file path.'),
  },
  { required: ['path'] },
);
type(`${CORE}VolumeProjection`, 'One source of a projected volume.', {
  secret: core('SecretProjection', 'Secret keys.'),
  downwardAPI: core('DownwardAPIProjection', 'Pod fields.'),
  configMap: core('ConfigMapProjection', 'ConfigMap keys.'),
  serviceAccountToken: core('ServiceAccountTokenProjection', 'A service account token.'),
  clusterTrustBundle: core('ClusterTrustBundleProjection', 'Trust anchors.'),
});
type(`${CORE}ProjectedVolumeSource`, 'Several sources in one directory.', {
  sources: arr(ref(`${CORE}VolumeProjection`), 'The sources.'),
  defaultMode: int('Mode bits of the files.'),
});
type(
  `${CORE}TypedLocalObjectReference`,
  'Names an object of some kind in the same namespace.',
  { apiGroup: str('Group of the kind; empty for core.'), kind: str('Kind.'), name: str('Name.') },
  { required: ['kind', 'name'], ext: { 'x-kubernetes-map-type': 'atomic' } },
);
type(
  `${CORE}TypedObjectReference`,
  'Names an object of some kind, possibly in another namespace.',
  { apiGroup: str('Group of the kind.'), kind: str('Kind.'), name: str('Name.'), namespace: str('Namespace.') },
  { required: ['kind', 'name'] },
);
type(`${CORE}VolumeResourceRequirements`, 'Storage a claim asks for.', {
  limits: { type: 'object', additionalProperties: qty(), description: 'Most storage.' },
  requests: { type: 'object', additionalProperties: qty(), description: 'Least storage needed.' },
});
type(`${CORE}PersistentVolumeClaimSpec`, 'What a claim asks for.', {
  accessModes: arr(str(), 'ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.'),
  selector: selector('Volumes to consider.'),
  resources: core('VolumeResourceRequirements', 'Storage size.'),
  volumeName: str('Bind to this PersistentVolume.'),
  storageClassName: str('StorageClass to provision from.'),
  volumeMode: str('Filesystem or Block.'),
  dataSource: core('TypedLocalObjectReference', 'Populate from a snapshot or claim.'),
  dataSourceRef: core('TypedObjectReference', 'Populate from any populator object.'),
  volumeAttributesClassName: str('VolumeAttributesClass to use.'),
});
type(
  `${CORE}PersistentVolumeClaimTemplate`,
  'A claim created along with the pod.',
  {
    metadata: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'Labels and annotations for the claim.'),
    spec: core('PersistentVolumeClaimSpec', 'The claim.'),
  },
  { required: ['spec'] },
);
type(`${CORE}EphemeralVolumeSource`, 'A volume from a claim that lives as long as the pod.', {
  volumeClaimTemplate: core('PersistentVolumeClaimTemplate', 'The claim to create.'),
});
type(
  `${CORE}CSIVolumeSource`,
  'An inline volume of a CSI driver.',
  {
    driver: str('CSI driver name.'),
    readOnly: bool('Mount read-only.'),
    fsType: str('Filesystem type.'),
    volumeAttributes: strMap('Driver-specific attributes.'),
    nodePublishSecretRef: core('LocalObjectReference', 'Secret passed to the driver.'),
  },
  { required: ['driver'] },
);
type(`${CORE}ImageVolumeSource`, 'An OCI image or artifact mounted read-only.', {
  reference: str('Image reference.'),
  pullPolicy: str('Always, Never or IfNotPresent.'),
});
type(
  `${CORE}ISCSIVolumeSource`,
  'An iSCSI disk.',
  {
    targetPortal: str('Target portal.'),
    iqn: str('Target IQN.'),
    lun: int('Target LUN.'),
    iscsiInterface: str('iSCSI interface.'),
    fsType: str('Filesystem type.'),
    readOnly: bool('Mount read-only.'),
    portals: arr(str(), 'More target portals.'),
    chapAuthDiscovery: bool('CHAP discovery authentication.'),
    chapAuthSession: bool('CHAP session authentication.'),
    secretRef: core('LocalObjectReference', 'CHAP secret.'),
    initiatorName: str('Initiator name.'),
  },
  { required: ['targetPortal', 'iqn', 'lun'] },
);
type(`${CORE}FCVolumeSource`, 'A Fibre Channel disk.', {
  targetWWNs: arr(str(), 'Target WWNs.'),
  lun: int('LUN.'),
  fsType: str('Filesystem type.'),
  readOnly: bool('Mount read-only.'),
  wwids: arr(str(), 'WWIDs.'),
});
type(
  `${CORE}GitRepoVolumeSource`,
  'Deprecated: a git checkout.',
  { repository: str('Repository URL.'), revision: str('Commit.'), directory: str('Target directory.') },
  { required: ['repository'] },
);

// Deprecated in-tree sources: their string fields, plus the few typed ones.
const TYPED: Record<string, Schema> = {
  readOnly: bool('Mount read-only.'),
  partition: int('Partition to mount.'),
  secretRef: core('LocalObjectReference', 'Secret with credentials.'),
  monitors: arr(str(), 'Ceph monitors.'),
  options: strMap('Driver options.'),
  sslEnabled: bool('Use SSL.'),
};
const simple = (name: string, desc: string, fields: Record<string, string>, extra: string[] = []) =>
  type(
    CORE + name,
    desc,
    Object.fromEntries([
      ...Object.entries(fields).map(([k, v]) => [k, TYPED[k] ? { ...TYPED[k], description: v } : str(v)]),
      ...extra.map((k) => [k, TYPED[k] ?? str(k)]),
    ]),
  );
simple(
  'AWSElasticBlockStoreVolumeSource',
  'Deprecated: an AWS EBS disk.',
  { volumeID: 'Volume ID.', fsType: 'Filesystem type.', readOnly: 'Mount read-only.' },
  ['partition'],
);
simple(
  'GCEPersistentDiskVolumeSource',
  'Deprecated: a GCE persistent disk.',
  { pdName: 'Disk name.', fsType: 'Filesystem type.', readOnly: 'Mount read-only.' },
  ['partition'],
);
simple('AzureDiskVolumeSource', 'Deprecated: an Azure data disk.', {
  diskName: 'Disk name.',
  diskURI: 'Disk URI.',
  fsType: 'Filesystem type.',
  cachingMode: 'Caching mode.',
  kind: 'Disk kind.',
  readOnly: 'Mount read-only.',
});
simple('AzureFileVolumeSource', 'Deprecated: an Azure file share.', {
  secretName: 'Secret with the account key.',
  shareName: 'Share name.',
  readOnly: 'Mount read-only.',
});
simple('CephFSVolumeSource', 'Deprecated: a CephFS mount.', { path: 'Path.', user: 'User.', secretFile: 'Secret file.', readOnly: 'Mount read-only.' }, [
  'monitors',
  'secretRef',
]);
simple('CinderVolumeSource', 'Deprecated: a Cinder volume.', { volumeID: 'Volume ID.', fsType: 'Filesystem type.', readOnly: 'Mount read-only.' }, [
  'secretRef',
]);
simple('FlexVolumeSource', 'Deprecated: a FlexVolume driver.', { driver: 'Driver name.', fsType: 'Filesystem type.', readOnly: 'Mount read-only.' }, [
  'options',
  'secretRef',
]);
simple('FlockerVolumeSource', 'Deprecated: a Flocker dataset.', { datasetName: 'Dataset name.', datasetUUID: 'Dataset UUID.' });
simple('GlusterfsVolumeSource', 'Deprecated: a Glusterfs mount.', { endpoints: 'Endpoints name.', path: 'Volume path.', readOnly: 'Mount read-only.' });
simple('PhotonPersistentDiskVolumeSource', 'Deprecated: a Photon disk.', { pdID: 'Disk ID.', fsType: 'Filesystem type.' });
simple('PortworxVolumeSource', 'Deprecated: a Portworx volume.', { volumeID: 'Volume ID.', fsType: 'Filesystem type.', readOnly: 'Mount read-only.' });
simple('QuobyteVolumeSource', 'Deprecated: a Quobyte mount.', {
  registry: 'Registry.',
  volume: 'Volume.',
  user: 'User.',
  group: 'Group.',
  tenant: 'Tenant.',
  readOnly: 'Mount read-only.',
});
simple(
  'RBDVolumeSource',
  'Deprecated: a Ceph RBD image.',
  { image: 'Image.', fsType: 'Filesystem type.', pool: 'Pool.', user: 'User.', keyring: 'Keyring.', readOnly: 'Mount read-only.' },
  ['monitors', 'secretRef'],
);
simple(
  'ScaleIOVolumeSource',
  'Deprecated: a ScaleIO volume.',
  {
    gateway: 'Gateway.',
    system: 'System.',
    volumeName: 'Volume.',
    fsType: 'Filesystem type.',
    readOnly: 'Mount read-only.',
    protectionDomain: 'Protection domain.',
    storagePool: 'Storage pool.',
    storageMode: 'Storage mode.',
  },
  ['secretRef', 'sslEnabled'],
);
simple(
  'StorageOSVolumeSource',
  'Deprecated: a StorageOS volume.',
  { volumeName: 'Volume.', volumeNamespace: 'Namespace.', fsType: 'Filesystem type.', readOnly: 'Mount read-only.' },
  ['secretRef'],
);
simple('VsphereVirtualDiskVolumeSource', 'Deprecated: a vSphere disk.', {
  volumePath: 'Disk path.',
  fsType: 'Filesystem type.',
  storagePolicyName: 'Storage policy.',
  storagePolicyID: 'Storage policy ID.',
});

/** The volume sources a pod can use; shared by Volume and PersistentVolumeSpec. */
export const volumeSources = {
  hostPath: core('HostPathVolumeSource', 'A path on the node.'),
  emptyDir: core('EmptyDirVolumeSource', 'A scratch directory for the life of the pod.'),
  gcePersistentDisk: core('GCEPersistentDiskVolumeSource', 'Deprecated.'),
  awsElasticBlockStore: core('AWSElasticBlockStoreVolumeSource', 'Deprecated.'),
  gitRepo: core('GitRepoVolumeSource', 'Deprecated.'),
  secret: core('SecretVolumeSource', 'Keys of a Secret as files.'),
  nfs: core('NFSVolumeSource', 'An NFS export.'),
  iscsi: core('ISCSIVolumeSource', 'An iSCSI disk.'),
  glusterfs: core('GlusterfsVolumeSource', 'Deprecated.'),
  persistentVolumeClaim: core('PersistentVolumeClaimVolumeSource', 'A claimed persistent volume.'),
  rbd: core('RBDVolumeSource', 'Deprecated.'),
  flexVolume: core('FlexVolumeSource', 'Deprecated.'),
  cinder: core('CinderVolumeSource', 'Deprecated.'),
  cephfs: core('CephFSVolumeSource', 'Deprecated.'),
  flocker: core('FlockerVolumeSource', 'Deprecated.'),
  downwardAPI: core('DownwardAPIVolumeSource', 'Fields of the pod as files.'),
  fc: core('FCVolumeSource', 'A Fibre Channel disk.'),
  azureFile: core('AzureFileVolumeSource', 'Deprecated.'),
  configMap: core('ConfigMapVolumeSource', 'Keys of a ConfigMap as files.'),
  vsphereVolume: core('VsphereVirtualDiskVolumeSource', 'Deprecated.'),
  quobyte: core('QuobyteVolumeSource', 'Deprecated.'),
  azureDisk: core('AzureDiskVolumeSource', 'Deprecated.'),
  photonPersistentDisk: core('PhotonPersistentDiskVolumeSource', 'Deprecated.'),
  projected: core('ProjectedVolumeSource', 'Several sources in one directory.'),
  portworxVolume: core('PortworxVolumeSource', 'Deprecated.'),
  scaleIO: core('ScaleIOVolumeSource', 'Deprecated.'),
  storageos: core('StorageOSVolumeSource', 'Deprecated.'),
  csi: core('CSIVolumeSource', 'An inline CSI volume.'),
  ephemeral: core('EphemeralVolumeSource', 'A claim that lives as long as the pod.'),
  image: core('ImageVolumeSource', 'An OCI image, read-only.'),
};

type(
  `${CORE}Volume`,
  'A named volume that containers of the pod can mount; exactly one source is set.',
  {
    name: str('Name of the volume, unique within the pod (DNS label).'),
    ...volumeSources,
  },
  { required: ['name'] },
);
