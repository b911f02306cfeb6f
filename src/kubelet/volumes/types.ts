// The vocabulary of the node's volume manager: where volume contents come from, what a
// plugin is given, and what it hands back.
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { Allocatable } from '../container/downward.js';
import type { PodDirs } from '../container/pod-dirs.js';
import type { Mounter } from './mounter.js';

/** Lookups the agent backs with informers or the API client; `undefined` means not found. */
export interface VolumeSources {
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> | ConfigMap | undefined;
  secret(namespace: string, name: string): Promise<Secret | undefined> | Secret | undefined;
  persistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> | PersistentVolumeClaim | undefined;
  persistentVolume(name: string): Promise<PersistentVolume | undefined> | PersistentVolume | undefined;
  /**
   * A token for the pod's service account (the TokenRequest API). When absent, projected
   * serviceAccountToken sources get a placeholder file that authenticates nowhere.
   */
  serviceAccountToken?(pod: Pod, req: { audience?: string; expirationSeconds: number }): Promise<string>;
}

/** One file of an atomically written volume: its path relative to the volume, content, mode. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}
export type Payload = Map<string, FileProjection>;

export interface VolumeContext {
  pod: Pod;
  volume: Volume;
  dirs: PodDirs;
  sources: VolumeSources;
  mounter: Mounter;
  /**
   * Root privileges: tmpfs mounts (without them, memory-backed volumes are plain
   * directories) and fsGroup ownership (without them, files keep the agent's group).
   */
  privileged: boolean;
  allocatable?: Allocatable;
}

export interface PreparedVolume {
  /** Where the volume's content is on the host: what volumeMounts bind into containers. */
  hostPath: string;
  /** configMap, secret, downwardAPI and projected volumes are always mounted read-only. */
  readOnly: boolean;
  /** A volume whose content is rendered from API objects and re-rendered by resync(). */
  rendered: boolean;
}

export interface VolumePlugin {
  /** The kubelet's plugin name, e.g. kubernetes.io/empty-dir (its directory under volumes/). */
  readonly name: string;
  handles(volume: Volume): boolean;
  setUp(ctx: VolumeContext): Promise<PreparedVolume>;
}

/** The kubelet's message for a volume that failed to set up (a FailedMount event). */
export class VolumeSetUpError extends Error {
  constructor(
    readonly volume: string,
    cause: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${cause}`);
  }
}
