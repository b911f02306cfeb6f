// What the pod worker calls to go from a pod spec to runnable CRI configs: preparePod()
// before any container (volumes and /etc/hosts), containerConfig() for each container
// (environment, mounts, ContainerConfig), resync on source changes, cleanupPod() at the end.
// Failures carry the reason the kubelet reports: FailedMount or CreateContainerConfigError.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { buildContainerConfig, type BuiltContainerConfig } from './config.js';
import type { Allocatable } from './downward.js';
import { makeEnvironment, type EnvSources } from './env.js';
import { writeHostsFile } from './etc-hosts.js';
import type { PodDirs } from './pod-dirs.js';
import type { ImageUser } from './security-context.js';
import { VolumeManager } from '../volumes/manager.js';
import type { Mounter } from '../volumes/mounter.js';
import type { VolumeSources } from '../volumes/types.js';

export type SetupFailureReason = 'FailedMount' | 'CreateContainerConfigError';

export class ContainerSetupError extends Error {
  constructor(
    readonly reason: SetupFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface ContainerSetupOptions {
  dirs: PodDirs;
  sources: EnvSources & VolumeSources;
  /** Node allocatable (limits a container leaves unset, for the downward API). */
  allocatable?: Allocatable;
  /** Node memory in bytes (Burstable OOM scores). */
  memoryCapacity?: number;
  clusterDomain?: string;
  /** Whether tmpfs may be mounted and files chowned to the pod's fsGroup; default: running as root. */
  privileged?: boolean;
  mounter?: Mounter;
  /** Told when envFrom keys were skipped (the kubelet records an InvalidEnvironmentVariableNames event). */
  onInvalidEnvKeys?(pod: Pod, message: string): void;
}

export interface ContainerRequest {
  attempt: number;
  podIPs: string[];
  hostIPs?: string[];
  imageUser?: ImageUser;
  annotations?: Record<string, string>;
  logPath?: string;
}

export class ContainerSetup {
  readonly volumes: VolumeManager;

  constructor(private readonly opts: ContainerSetupOptions) {
    this.volumes = new VolumeManager({
      dirs: opts.dirs,
      sources: opts.sources,
      allocatable: opts.allocatable,
      privileged: opts.privileged,
      mounter: opts.mounter,
    });
  }

  /** Sets up the pod's volumes and writes its /etc/hosts. Idempotent; call on every sync until it succeeds. */
  async preparePod(pod: Pod, podIPs: string[]): Promise<void> {
    try {
      await this.volumes.setUpPod(pod);
      await writeHostsFile(this.opts.dirs.etcHosts(pod.metadata!.uid!), pod, { podIPs, clusterDomain: this.opts.clusterDomain });
    } catch (err) {
      throw new ContainerSetupError('FailedMount', (err as Error).message);
    }
  }

  /** Rewrites the pod's /etc/hosts once its sandbox has addresses (preparePod ran before it had any). */
  async writeHosts(pod: Pod, podIPs: string[]): Promise<void> {
    await writeHostsFile(this.opts.dirs.etcHosts(pod.metadata!.uid!), pod, { podIPs, clusterDomain: this.opts.clusterDomain });
  }

  /** The CRI config for one container attempt. preparePod() must have succeeded. */
  async containerConfig(pod: Pod, container: Container, req: ContainerRequest): Promise<BuiltContainerConfig> {
    try {
      const env = await makeEnvironment(pod, container, {
        sources: this.opts.sources,
        podIPs: req.podIPs,
        hostIPs: req.hostIPs,
        allocatable: this.opts.allocatable,
        onInvalidKeys: this.opts.onInvalidEnvKeys ? (m) => this.opts.onInvalidEnvKeys!(pod, m) : undefined,
      });
      const mounts = await this.volumes.mountsFor(pod, container, env);
      return await buildContainerConfig(pod, container, {
        attempt: req.attempt,
        env,
        mounts,
        dirs: this.opts.dirs,
        podIPs: req.podIPs,
        memoryCapacity: this.opts.memoryCapacity,
        imageUser: req.imageUser,
        annotations: req.annotations,
        logPath: req.logPath,
      });
    } catch (err) {
      throw new ContainerSetupError('CreateContainerConfigError', (err as Error).message);
    }
  }

  /** Re-renders the pod's configMap/secret/downwardAPI/projected volumes (pod or source changed). */
  resync(pod: Pod): Promise<void> {
    return this.volumes.resync(pod);
  }

  /** A ConfigMap or Secret changed: re-renders the volumes of every pod that uses it. */
  resyncSource(kind: 'configMap' | 'secret', namespace: string, name: string): Promise<void> {
    return this.volumes.resyncSource(kind, namespace, name);
  }

  /** Unmounts and removes all of the pod's files on the node (volumes, /etc/hosts, termination logs). */
  cleanupPod(uid: string): Promise<void> {
    return this.volumes.tearDownPod(uid);
  }
}
