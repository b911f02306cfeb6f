// What the strategy and status functions need of the Deployment controller: kept apart from
// the controller class so that they depend on this contract, not on the controller's file
// (which imports them).
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Client } from '../../client/client.js';
import type { WorkQueue } from '../../client/workqueue.js';

export interface RolloutContext {
  readonly client: Client;
  readonly queue: WorkQueue;
  now(): number;
  /** The Deployment's new ReplicaSet (created when `create` and missing) and the old ones. */
  allReplicaSets(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }>;
  scaleReplicaSet(rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }>;
  updateStatus(d: Deployment, status: DeploymentStatus): Promise<void>;
}
