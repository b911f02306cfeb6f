// What the steps of a pod's sync (its containers, probes, stopping) may do with the pod's
// sandbox, as one object: the worker owns the sandbox (PodSandbox) and hands it to each
// step, so that no step needs to call back into the worker.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { HandlerTarget } from '../prober/handler.js';
import type { ContainerRuntime, PodSandboxConfig } from '../runtime/types.js';

export interface SandboxOps {
  readonly runtime: ContainerRuntime;
  now(): number;
  /** The sandbox's id while it exists. */
  readonly id: string | undefined;
  /** The CRI config the sandbox was (or will be) created with; containers are created against it. */
  config(pod: Pod): PodSandboxConfig;
  /** The sandbox's addresses (the containerConfig hook's /etc/hosts and downward-API env need them). */
  podIPs(): Promise<string[]>;
  /** Where a lifecycle hook reaches a container (its pod IP for httpGet). */
  hookTarget(c: Container, containerId: string): Promise<HandlerTarget>;
  /** Stops one container as the kubelet's killContainer does (Killing event, preStop, grace). */
  kill(pod: Pod | undefined, c: Container | undefined, containerId: string, graceSeconds: number, message: string): Promise<void>;
}
