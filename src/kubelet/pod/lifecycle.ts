// Where a pod worker is in its pod's life, after the kubelet's podSyncStatus, with every
// transition in this one place. The states only move forward:
//
//   syncing ──(deletionTimestamp set, or the pod gone from the API)──▶ terminating
//   terminating ──(containers stopped, sandbox and volumes released)──▶ terminated
//
// - syncing: the pod runs; each sync drives volumes, sandbox and containers toward the
//   spec. Once the main containers are done for good its sidecars are stopped (and not
//   restarted). A pod in a terminal phase (Succeeded, Failed) stays here with its sandbox
//   stopped but kept, so that its logs remain until the pod is deleted.
// - terminating: the containers stop within the grace period (the newest the API gave),
//   then the sandbox is removed and what the pod's volumes used is released. A failed
//   attempt is retried.
// - terminated: nothing of the pod is left on the node. Left to do: finishing the API
//   deletion (once), and ending the worker when the pod is gone from the API.
import type { Pod } from 'kubernetes-types/core/v1.js';

export type PodSyncStatus =
  | { state: 'syncing'; sidecarsStopped: boolean }
  | { state: 'terminating'; graceSeconds: number }
  | { state: 'terminated'; apiDeleted: boolean };

export type PodSyncState = PodSyncStatus['state'];

/** The grace period a deleted pod's containers get: the deletion's, else the spec's, else none. */
export function deletionGraceSeconds(pod: Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 0;
}

export class PodLifecycle {
  private s: PodSyncStatus = { state: 'syncing', sidecarsStopped: false };

  get status(): Readonly<PodSyncStatus> {
    return this.s;
  }

  get state(): PodSyncState {
    return this.s.state;
  }

  /**
   * The pod as the API has it now (undefined: gone) at the start of a sync: a deletion or
   * the pod's disappearance turns a syncing (or still terminating) worker to terminating,
   * with the grace period that applies now.
   */
  observe(pod: Pod | undefined): Readonly<PodSyncStatus> {
    if (this.s.state === 'terminated') return this.s;
    if (!pod) this.s = { state: 'terminating', graceSeconds: 0 };
    else if (pod.metadata?.deletionTimestamp) this.s = { state: 'terminating', graceSeconds: deletionGraceSeconds(pod) };
    return this.s;
  }

  /** The main containers are done for good and the sidecars stopped: exited sidecars stay down. */
  sidecarsStopped(): void {
    if (this.s.state === 'syncing') this.s = { state: 'syncing', sidecarsStopped: true };
  }

  /** Teardown finished: containers stopped, sandbox removed, volumes released. */
  terminated(): void {
    if (this.s.state === 'terminating') this.s = { state: 'terminated', apiDeleted: false };
  }

  /** The API accepted the final DELETE; the worker waits for the pod to go. */
  apiDeleted(): void {
    if (this.s.state === 'terminated') this.s = { state: 'terminated', apiDeleted: true };
  }
}
