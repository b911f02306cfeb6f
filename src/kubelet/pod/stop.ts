// Stopping all of a pod's running containers, as the kubelet kills a pod: the main and
// regular init containers in parallel within the grace period (each with its preStop hook),
// then the sidecars with what is left of it, so that they outlive what they serve.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus } from '../runtime/types.js';
import type { SandboxOps } from './sandbox-ops.js';
import { isSidecar } from '../container/sidecar.js';

export async function stopPodContainers(sandbox: SandboxOps, pod: Pod | undefined, sandboxId: string, graceSeconds: number): Promise<void> {
  const specs = new Map<string, Container>();
  for (const c of [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])]) specs.set(c.name, c);
  const running = (await sandbox.runtime.listContainers({ podSandboxId: sandboxId })).filter((c) => c.state === 'CONTAINER_RUNNING');
  const sidecar = (c: ContainerStatus) => {
    const s = specs.get(c.metadata.name);
    return !!s && isSidecar(s);
  };
  const start = sandbox.now();
  const stop = (c: ContainerStatus, grace: number) => sandbox.kill(pod, specs.get(c.metadata.name), c.id, grace, `Stopping container ${c.metadata.name}`);
  await Promise.all(running.filter((c) => !sidecar(c)).map((c) => stop(c, graceSeconds)));
  const left = Math.max(0, graceSeconds - Math.floor((sandbox.now() - start) / 1000));
  await Promise.all(running.filter(sidecar).map((c) => stop(c, left)));
}
