// What the steps of a pod's sync need from the node agent: the runtime, the API, and the
// hooks through which volumes, container config, termination messages and pull secrets are
// supplied on a node that runs real processes. (The worker's own callbacks to the agent are
// added in worker.ts, so that nothing here names the worker.)
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../util/log.js';
import type { ContainerConfig, ContainerRuntime, ContainerStatus, PullAuth } from '../runtime/types.js';
import type { SandboxConfigOptions } from './sandbox-config.js';
import type { PodStartTiming } from './start-timing.js';

/** How the worker reaches the API; the agent gives it a client-backed one. */
export interface PodApi {
  /** Writes the pod's status (pods/status). */
  writeStatus(pod: Pod, status: PodStatus): Promise<void>;
  /** Finishes a graceful deletion: DELETE with gracePeriodSeconds=0 and the pod's uid as precondition. */
  deletePod(pod: Pod): Promise<void>;
}

export interface PodSyncDeps {
  runtime: ContainerRuntime;
  api: PodApi;
  hostIP: string;
  runtimeName: string;
  log: Logger;
  now?: () => number;
  /** Pod events as the kubelet records them (Pulled, Created, Started, Killing, BackOff); none when absent. */
  event?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Sets up the pod's volumes before its sandbox; a throw is a FailedMount, retried with back-off. */
  preparePod?(pod: Pod): Promise<void>;
  /** Env, mounts, workingDir, resources, security… merged into each container's CRI config; a throw is CreateContainerConfigError. */
  containerConfig?(pod: Pod, container: Container, attempt: number, podIPs: string[]): Promise<Partial<ContainerConfig>>;
  /** Releases what preparePod set up, after the sandbox is removed. */
  cleanupPod?(uid: string): Promise<void>;
  /** The content of an exited container's terminationMessagePath as the host sees it (runtimes that run processes only). */
  terminationMessage?(pod: Pod, container: Container, status: ContainerStatus): Promise<string | undefined>;
  /** Registry credentials from the pod's imagePullSecrets (see container/pull-secrets.ts). */
  pullSecrets?(pod: Pod): Promise<PullAuth[]>;
  /** Back-off timings; the defaults are the kubelet's. */
  backoff?: { restartInitialMs?: number; restartMaxMs?: number; imageInitialMs?: number; imageMaxMs?: number };
  /** How sandboxes are configured on this node (log dir, cluster DNS). */
  sandbox?: SandboxConfigOptions;
  /** Where the pod's start marks (sandbox ready, container started…) are recorded; none when absent. */
  startTiming?: Pick<PodStartTiming, 'mark' | 'pulled'>;
}
