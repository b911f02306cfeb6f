// What a node agent finds in its runtime when it starts: sandboxes and containers its
// previous run left. The kubelet does not restart pods because it restarted: a pod that
// still exists on this node gets its running sandbox and containers back; sandboxes of
// pods that are gone (or that were superseded) are garbage.
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from '../runtime/types.js';

/** A pod's sandbox and containers as found in the runtime, handed to its worker. */
export interface AdoptedPod {
  sandboxId: string;
  containers: ContainerStatus[];
}

/** The pods of this node as the API has them, by uid. */
export interface LivePods {
  /** Every pod bound to this node. */
  uids: Set<string>;
  /** Those in phase Succeeded or Failed: their stopped sandbox keeps their dead containers (logs). */
  finished: Set<string>;
}

export interface RuntimeInventory {
  /** By pod uid: the newest sandbox of each pod that still exists on this node (ready, unless the pod is finished). */
  adopt: Map<string, AdoptedPod>;
  /** Sandboxes to stop and remove: pods that are gone, not-ready sandboxes, older duplicates. */
  garbage: PodSandboxStatus[];
}

const POD_UID_LABEL = 'io.kubernetes.pod.uid';

function podUid(sb: PodSandboxStatus): string | undefined {
  return sb.labels?.[POD_UID_LABEL] || sb.metadata?.uid || undefined;
}

/**
 * Sorts what the runtime holds by the pods that exist on this node. A running pod's sandbox
 * that is not ready (its network or pause process is gone) is not adopted: the worker starts
 * the pod in a new one, as the kubelet does after a sandbox dies. A finished pod's sandbox
 * was stopped on purpose and is kept, with its containers, until the pod is deleted.
 */
export async function takeInventory(runtime: ContainerRuntime, live: LivePods): Promise<RuntimeInventory> {
  const sandboxes = await runtime.listPodSandbox();
  const containers = await runtime.listContainers();
  const chosen = new Map<string, PodSandboxStatus>();
  const garbage: PodSandboxStatus[] = [];
  for (const sb of sandboxes) {
    const uid = podUid(sb);
    if (!uid || !live.uids.has(uid) || (sb.state !== 'SANDBOX_READY' && !live.finished.has(uid))) {
      garbage.push(sb);
      continue;
    }
    const other = chosen.get(uid);
    if (!other) chosen.set(uid, sb);
    else if (sb.createdAt > other.createdAt) {
      garbage.push(other);
      chosen.set(uid, sb);
    } else garbage.push(sb);
  }
  const adopt = new Map<string, AdoptedPod>();
  for (const [uid, sb] of chosen) adopt.set(uid, { sandboxId: sb.id, containers: containers.filter((c) => c.podSandboxId === sb.id) });
  return { adopt, garbage };
}

/** Stops and removes sandboxes (their containers go with them; CNI DEL runs for each). */
export async function removeSandboxes(
  runtime: ContainerRuntime,
  sandboxes: PodSandboxStatus[],
  onError: (sb: PodSandboxStatus, err: Error) => void,
): Promise<void> {
  for (const sb of sandboxes) {
    try {
      await runtime.stopPodSandbox(sb.id);
      await runtime.removePodSandbox(sb.id);
    } catch (err) {
      onError(sb, err as Error);
    }
  }
}
