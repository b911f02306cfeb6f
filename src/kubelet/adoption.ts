// What a node agent finds in its runtime when it starts: sandboxes and containers its
// previous run left. The kubelet does not restart pods because it restarted: a pod that
// still exists on this node gets its running sandbox and containers back; sandboxes of
// pods that are gone (or that were superseded) are garbage.
import type { ContainerRuntime, ContainerStatus, PodSandboxStatus } from './runtime/types.js';

/** A pod's sandbox and containers as found in the runtime, handed to its worker. */
export interface AdoptedPod {
  sandboxId: string;
  containers: ContainerStatus[];
}

export interface RuntimeInventory {
  /** By pod uid: the newest ready sandbox of each pod that still exists on this node. */
  adopt: Map<string, AdoptedPod>;
  /** Sandboxes to stop and remove: pods that are gone, not-ready sandboxes, older duplicates. */
  garbage: PodSandboxStatus[];
}

const POD_UID_LABEL = 'io.kubernetes.pod.uid';

function podUid(sb: PodSandboxStatus): string | undefined {
  return sb.labels?.[POD_UID_LABEL] || sb.metadata?.uid || undefined;
}

/**
 * Sorts what the runtime holds by the pods that exist on this node. A sandbox that is not
 * ready (its network or pause process is gone) is not adopted: the worker starts the pod
 * in a new one, as the kubelet does after a sandbox dies.
 */
export async function takeInventory(runtime: ContainerRuntime, livePods: Set<string>): Promise<RuntimeInventory> {
  const sandboxes = await runtime.listPodSandbox();
  const containers = await runtime.listContainers();
  const chosen = new Map<string, PodSandboxStatus>();
  const garbage: PodSandboxStatus[] = [];
  for (const sb of sandboxes) {
    const uid = podUid(sb);
    if (!uid || !livePods.has(uid) || sb.state !== 'SANDBOX_READY') {
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

/** Stops and removes sandboxes (their containers go with them; CNI DEL runs for each); returns the pod uids they belonged to. */
export async function removeSandboxes(runtime: ContainerRuntime, sandboxes: PodSandboxStatus[], onError: (sb: PodSandboxStatus, err: Error) => void): Promise<Set<string>> {
  const uids = new Set<string>();
  for (const sb of sandboxes) {
    const uid = podUid(sb);
    if (uid) uids.add(uid);
    try {
      await runtime.stopPodSandbox(sb.id);
      await runtime.removePodSandbox(sb.id);
    } catch (err) {
      onError(sb, err as Error);
    }
  }
  return uids;
}
