// What the agent's HTTPS server needs to know about the pods on its node: which sandbox a
// pod runs in, and which container (current or previous attempt) a name refers to, with
// its log file. The runtime holds all of it in the labels and metadata the pod workers set,
// so the default lookup asks the runtime and needs nothing from the agent itself.
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from '../runtime/types.js';

export interface ContainerRef {
  containerId: string;
  /** Absolute path of its CRI log file, when the runtime keeps one. */
  logPath?: string;
  running: boolean;
}

export interface PodLookup {
  /** The ready sandbox of pod namespace/name on this node, if it has one. */
  sandbox(namespace: string, name: string): Promise<string | undefined>;
  /** The container called `container` in the pod: its latest attempt, or the one before it. */
  container(namespace: string, name: string, container: string, previous: boolean): Promise<ContainerRef | undefined>;
  /** Whether a container is still running (following logs stops when it is not). */
  isRunning(containerId: string): Promise<boolean>;
}

const CONTAINER_NAME_LABEL = 'io.kubernetes.container.name';

function newestFirst<T extends { createdAt: bigint }>(a: T, b: T): number {
  return a.createdAt > b.createdAt ? -1 : a.createdAt < b.createdAt ? 1 : 0;
}

/** Sandboxes of the pod, newest first (a pod whose sandbox was recreated has several). */
async function sandboxesOf(rt: ContainerRuntime, namespace: string, name: string): Promise<PodSandboxStatus[]> {
  const all = await rt.listPodSandbox();
  return all.filter((s) => s.metadata.namespace === namespace && s.metadata.name === name).sort(newestFirst);
}

export function runtimePodLookup(rt: ContainerRuntime): PodLookup {
  return {
    async sandbox(namespace, name) {
      const boxes = await sandboxesOf(rt, namespace, name);
      return (boxes.find((s) => s.state === 'SANDBOX_READY') ?? boxes[0])?.id;
    },
    async container(namespace, name, container, previous) {
      const attempts: ContainerStatus[] = [];
      for (const box of await sandboxesOf(rt, namespace, name)) {
        const cs = await rt.listContainers({ podSandboxId: box.id });
        attempts.push(...cs.filter((c) => (c.metadata.name || c.labels?.[CONTAINER_NAME_LABEL]) === container));
      }
      // Latest attempt first; creation time breaks ties across sandboxes.
      attempts.sort((a, b) => b.metadata.attempt - a.metadata.attempt || newestFirst(a, b));
      const c = attempts[previous ? 1 : 0];
      return c && { containerId: c.id, logPath: c.logPath, running: c.state === 'CONTAINER_RUNNING' };
    },
    async isRunning(containerId) {
      try {
        return (await rt.containerStatus(containerId)).state === 'CONTAINER_RUNNING';
      } catch {
        return false;
      }
    },
  };
}
