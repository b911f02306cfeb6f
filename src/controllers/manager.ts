// The controller manager: one informer factory shared by every controller in the process,
// each controller registered below by name (so `--controllers` can pick, as in Kubernetes).
import type { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { LeaderElector } from '../client/leader-election.js';
import type { ResourceType } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import type { Controller, ControllerContext, ControllerFactory, ControllerSettings } from './lib/context.js';
import { ClientEventRecorder } from '../client/event-recorder.js';
import { namespaceController } from './namespace.js';
import { nodeIpamController } from './node-ipam.js';
import { nodeLifecycleController } from './node-lifecycle.js';
import { taintEvictionController } from './taint-eviction.js';
import { replicaSetController, replicationControllerController } from './replicaset.js';
import { deploymentController } from './deployment/controller.js';
import { garbageCollectorController } from './garbage-collector/collector.js';
import { serviceAccountController } from './serviceaccount.js';
import { serviceAccountTokenController } from './serviceaccount-token.js';
import { rootCAPublisher } from './root-ca-publisher.js';
import { endpointsController } from './endpoints.js';
import { endpointSliceController } from './endpointslice.js';
import { jobController } from './job/controller.js';
import { daemonSetController } from './daemonset/controller.js';
import { statefulSetController } from './statefulset/controller.js';
import { disruptionController } from './disruption.js';
import { cronJobController } from './cronjob/controller.js';
import { resourceQuotaController } from './resourcequota.js';
import { ttlAfterFinishedController } from './ttl-after-finished.js';
import { podGCController } from './podgc.js';
import { localPathProvisioner } from './local-path-provisioner/controller.js';
import { pvcProtectionController, pvProtectionController } from './volume-protection.js';
import { ephemeralVolumeController } from './ephemeral-volume.js';
import { serviceLBController } from './servicelb.js';
import { csrApprovingController } from './certificates/approver.js';
import { csrSigningController } from './certificates/signer.js';
import { horizontalPodAutoscalerController } from './podautoscaler/controller.js';

/** Every controller, by the name Kubernetes' controller manager gives it. Add new ones here. */
export const CONTROLLERS: Record<string, ControllerFactory> = {
  namespace: namespaceController,
  'node-ipam': nodeIpamController,
  'node-lifecycle': nodeLifecycleController,
  'taint-eviction-controller': taintEvictionController,
  replicaset: replicaSetController,
  replicationcontroller: replicationControllerController,
  deployment: deploymentController,
  'garbage-collector': garbageCollectorController,
  serviceaccount: serviceAccountController,
  'serviceaccount-token': serviceAccountTokenController,
  'root-ca-cert-publisher': rootCAPublisher,
  endpoint: endpointsController,
  endpointslice: endpointSliceController,
  job: (ctx) => jobController(ctx),
  daemonset: daemonSetController,
  statefulset: statefulSetController,
  disruption: disruptionController,
  cronjob: cronJobController,
  resourcequota: resourceQuotaController,
  'ttl-after-finished': ttlAfterFinishedController,
  podgc: (ctx) => podGCController(ctx),
  'local-path-provisioner': localPathProvisioner,
  'pvc-protection': pvcProtectionController,
  'pv-protection': pvProtectionController,
  'ephemeral-volume': ephemeralVolumeController,
  servicelb: serviceLBController,
  csrapproving: csrApprovingController,
  csrsigning: csrSigningController,
  horizontalpodautoscaling: horizontalPodAutoscalerController,
};

export interface RunningControllers {
  controllers: Controller[];
  context: ControllerContext;
  stop(): void;
}

/**
 * The service account each controller acts as with its own credentials (in kube-system), by
 * the names kube-controller-manager's --use-service-account-credentials gives them; the
 * system:controller:<name> ClusterRoles grant what each needs. The token controller is not
 * here: it acts as system:kube-controller-manager, as kube-controller-manager runs it.
 */
export const CONTROLLER_SERVICE_ACCOUNTS: Readonly<Record<string, string>> = {
  namespace: 'namespace-controller',
  'node-ipam': 'node-controller',
  'node-lifecycle': 'node-controller',
  'taint-eviction-controller': 'node-controller',
  replicaset: 'replicaset-controller',
  replicationcontroller: 'replication-controller',
  deployment: 'deployment-controller',
  'garbage-collector': 'generic-garbage-collector',
  serviceaccount: 'service-account-controller',
  endpoint: 'endpoint-controller',
  endpointslice: 'endpointslice-controller',
  job: 'job-controller',
  daemonset: 'daemon-set-controller',
  statefulset: 'statefulset-controller',
  disruption: 'disruption-controller',
  cronjob: 'cronjob-controller',
  resourcequota: 'resourcequota-controller',
  'ttl-after-finished': 'ttl-after-finished-controller',
  podgc: 'pod-garbage-collector',
  'pvc-protection': 'pvc-protection-controller',
  'pv-protection': 'pv-protection-controller',
  'ephemeral-volume': 'ephemeral-volume-controller',
  'root-ca-cert-publisher': 'root-ca-cert-publisher',
  csrapproving: 'certificate-controller',
  csrsigning: 'certificate-controller',
  horizontalpodautoscaling: 'horizontal-pod-autoscaler',
  // Skiff's own controllers, with skiff:* roles as k3s gives its servicelb and local-path-provisioner.
  servicelb: 'servicelb',
  'local-path-provisioner': 'local-path-provisioner-service-account',
};

export interface ControllerOptions {
  /** Names to run; default all. */
  enabled?: string[];
  /** The client a controller writes with (its own identity); default the manager's client. The shared informers use the manager's. */
  clientFor?: (controller: string) => Client | undefined;
  now?: () => number;
  settings?: ControllerSettings;
}

export async function startControllers(client: Client, registry: ResourceRegistry, log: Logger, opts: ControllerOptions = {}): Promise<RunningControllers> {
  const informers = new SharedInformerFactory(client);
  const context: ControllerContext = {
    client,
    informers,
    registry,
    log,
    now: opts.now ?? Date.now,
    settings: opts.settings,
    recorder: (component) => new ClientEventRecorder(client, component, log.child('events'), '', opts.now ?? Date.now),
    namespacedResources: (): ResourceType[] => {
      // One served version per storage prefix: versions sharing storage hold the same objects.
      // Prefer the version stored as served (a custom resource's are all converted).
      const byPrefix = new Map<string, import('../api/types.js').ResourceDef>();
      for (const d of registry.all()) {
        if (!d.namespaced || !(d.verbs ?? ['deletecollection']).includes('deletecollection')) continue;
        const b = registry.storage(d);
        const seen = byPrefix.get(b.prefix);
        if (!seen || (b.identity && !registry.storage(seen).identity)) byPrefix.set(b.prefix, d);
      }
      return [...byPrefix.values()].map((d) => ({ group: d.group, version: d.version, resource: d.plural, namespaced: true, kind: d.kind }));
    },
  };
  const names = opts.enabled ?? Object.keys(CONTROLLERS);
  const controllers = names.map((n) => {
    const f = CONTROLLERS[n];
    if (!f) throw new Error(`unknown controller ${JSON.stringify(n)} (known: ${Object.keys(CONTROLLERS).join(', ')})`);
    return f({ ...context, client: opts.clientFor?.(n) ?? client, log: log.child(n) });
  });
  informers.start();
  await informers.waitForSync();
  for (const c of controllers) void c.run().catch((err) => log.error('controller stopped with an error', { controller: c.name, error: (err as Error).stack }));
  return {
    controllers,
    context,
    stop() {
      for (const c of controllers) c.stop();
      informers.stop();
    },
  };
}

export interface LeaderElectionOptions extends ControllerOptions {
  /** Unique among controller managers sharing a cluster; stable across restarts of one. */
  identity: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

export interface ElectedControllers {
  isLeader(): boolean;
  /** The running controllers while this process leads. */
  current(): RunningControllers | undefined;
  /** Resolves when this process first runs its controllers (never, if another manager keeps the lease). */
  leading(): Promise<void>;
  /** Stops the controllers and releases the lease, so another manager need not wait it out. */
  stop(): Promise<void>;
}

/** Kubernetes' controller manager lease: one active controller manager per cluster. */
export const CONTROLLER_MANAGER_LEASE = 'kube-controller-manager';

/**
 * Shorter than Kubernetes' 15/10/2 so that a successor takes over within 15 s of the
 * leader's death even when it polls late: last renewal + up to 2.2 s until it notices +
 * 10 s lease + up to 2.2 s until its next attempt.
 */
export const LEADER_ELECTION_DEFAULTS = { leaseDurationSeconds: 10, renewDeadlineSeconds: 7, retryPeriodSeconds: 1 };

/**
 * Runs the controllers only while holding the kube-system/kube-controller-manager Lease.
 * Leadership lost means the controllers stop and the process campaigns again.
 */
export function startLeaderElectedControllers(client: Client, registry: ResourceRegistry, log: Logger, opts: LeaderElectionOptions): ElectedControllers {
  let running: RunningControllers | undefined;
  let elector: LeaderElector | undefined;
  let stopped = false;
  let markLeading: () => void = () => {};
  const leading = new Promise<void>((r) => (markLeading = r));
  const campaign = async () => {
    while (!stopped) {
      elector = new LeaderElector({
        leases: client.leases,
        namespace: 'kube-system',
        name: CONTROLLER_MANAGER_LEASE,
        identity: opts.identity,
        leaseDurationSeconds: opts.leaseDurationSeconds ?? LEADER_ELECTION_DEFAULTS.leaseDurationSeconds,
        renewDeadlineSeconds: opts.renewDeadlineSeconds ?? LEADER_ELECTION_DEFAULTS.renewDeadlineSeconds,
        retryPeriodSeconds: opts.retryPeriodSeconds ?? LEADER_ELECTION_DEFAULTS.retryPeriodSeconds,
        onStartedLeading: async (signal) => {
          log.info('became the controller manager leader', { identity: opts.identity });
          const r = await startControllers(client, registry, log, opts);
          if (signal.aborted) r.stop();
          else {
            running = r;
            markLeading();
          }
        },
        onStoppedLeading: () => {
          running?.stop();
          running = undefined;
          if (!stopped) log.warn('lost the controller manager lease; controllers stopped', { identity: opts.identity });
        },
        onError: (err) => log.warn('controller manager leader election', { error: (err as Error).message }),
      });
      await elector.run();
      if (!stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void campaign();
  return {
    isLeader: () => !!elector?.isLeader(),
    current: () => running,
    leading: () => leading,
    async stop() {
      stopped = true;
      await elector?.stop();
      running?.stop();
      running = undefined;
    },
  };
}
