// What every controller is given, and the one shape every controller has, so the
// controller manager can start, stop and list them uniformly.
import type { ResourceRegistry } from '../../api/registry.js';
import type { Client } from '../../client/client.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { ResourceType } from '../../client/resources.js';
import type { Logger } from '../../util/log.js';
import type { IssueSpec } from '../../util/x509.js';
import type { EventRecorder } from '../../client/event-recorder.js';

export interface ControllerContext {
  client: Client;
  /** Shared by all controllers: ask for informers in the constructor, before the factory starts. */
  informers: SharedInformerFactory;
  registry: ResourceRegistry;
  log: Logger;
  /** Events on behalf of a component, e.g. recorder('deployment-controller'). */
  recorder(component: string): EventRecorder;
  /** The namespaced resources the server serves (a discovery client, in effect). */
  namespacedResources(): ResourceType[];
  /** The controllers' clock; tests may replace it (CronJob schedules, TTLs). */
  now(): number;
  /** Flags some controllers take; absent values mean Kubernetes' defaults. */
  settings?: ControllerSettings;
}

export interface ControllerSettings {
  /** --cluster-cidr: node IPAM hands out node pod CIDRs from it. */
  clusterCIDR?: string;
  /** Prefix length of each node's pod CIDR; default 24. */
  nodeCIDRMaskSize?: number;
  /** --node-monitor-grace-period, in ms; default 40 s. */
  nodeMonitorGracePeriodMs?: number;
  /** Where the local-path provisioner puts volume directories: DATA_DIR/storage. */
  localPathStorageDir?: string;
  /** The cluster CA's signing function (Pki.sign): without it the CSR signer does not run. */
  csrSigner?: (spec: IssueSpec) => Promise<string>;
  /** --cluster-signing-duration in seconds: the longest certificate the CSR signer issues; default 1 year. */
  clusterSigningDurationSeconds?: number;
  /** The cluster CA (PEM): published as kube-root-ca.crt and put into service-account token Secrets. */
  rootCA?: string;
  /** Signs a legacy (Secret-based) service-account token, as --service-account-private-key-file does. */
  signLegacyToken?: LegacyTokenSigner;
  /** --horizontal-pod-autoscaler-sync-period, in ms; default 15 s. */
  hpaSyncPeriodMs?: number;
}

export type LegacyTokenSigner = (namespace: string, serviceAccount: { name: string; uid: string }, secretName: string) => Promise<string>;

export interface Controller {
  readonly name: string;
  /** Starts workers; resolves when stopped. Informers are synced before run() is called. */
  run(): Promise<void>;
  stop(): void;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;
