// What a node agent adds when its runtime runs real processes: the volume/env/config hooks
// for its pod workers (ContainerSetup behind containerHooks), ConfigMap and Secret volumes
// re-rendered when their sources change, and downward-API volumes when a pod's labels or
// annotations do. The simulated runtime needs none of it.
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/core/validate-helpers.js';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { apiSources } from './container/api-sources.js';
import { containerHooks, type ContainerHooks } from './pod/container-hooks.js';
import { ContainerSetup } from './container/setup.js';
import { PodDirs } from './container/pod-dirs.js';
import { ServiceAccountTokenManager, type RequestToken } from './volumes/token-manager.js';

export interface RealNodeOptions {
  client: Client;
  /** Informers of the agent's process; ConfigMap and Secret informers are added to it. */
  informers: SharedInformerFactory;
  /** DATA_DIR/agent: pods' volumes, /etc/hosts and termination files live under it. */
  agentDir: string;
  hostIP: string;
  /** The node's capacity: the stand-in for limits a container leaves unset. */
  capacity: Record<string, string>;
  log: Logger;
  clusterDomain?: string;
  /**
   * Watch every ConfigMap and Secret (default true). A joined agent acts as its node, which
   * the Node authorizer lets read only its own pods' objects, one by one: it reads them with
   * GET when a pod needs them, so a change reaches a running pod's volume only when the pod
   * is set up again.
   */
  watchSources?: boolean;
}

export interface RealNodeSetup {
  hooks: ContainerHooks;
  /** Told of every change of a pod on this node. */
  podChanged(pod: Pod | undefined, old: Pod | undefined): void;
  /** Removes the directories (and mounts) of pods not in `keep`; returns their uids. */
  cleanupOrphanedPods(keep: Set<string>): Promise<string[]>;
}

const sameMap = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) => JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

/** TokenRequest through the agent's client. */
function tokenRequester(client: Client): RequestToken {
  return async (namespace, serviceAccount, spec) => {
    const tr = await client.serviceAccounts.createSubresource<object, { status?: { token?: string; expirationTimestamp?: string } }>(
      serviceAccount,
      'token',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
      { namespace },
    );
    const token = tr.status?.token;
    const expiration = Date.parse(tr.status?.expirationTimestamp ?? '');
    if (!token || Number.isNaN(expiration)) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} answered without a token`);
    return { token, expiration };
  };
}

export function realNodeSetup(o: RealNodeOptions): RealNodeSetup {
  // ConfigMaps and Secrets are watched anyway (their volumes follow them): env and volumes
  // read the watch cache, and the API only for one the cache has not seen yet.
  const watch = o.watchSources !== false;
  const configMaps = watch ? o.informers.informerFor(resources.configMaps) : undefined;
  const secrets = watch ? o.informers.informerFor(resources.secrets) : undefined;
  const api = apiSources(o.client);
  // Bound service-account tokens for projected volumes; a token that is due re-renders its pod's volumes.
  const tokens = new ServiceAccountTokenManager(tokenRequester(o.client), (uid) => void resync(`pod ${uid} token`, setup.volumes.resyncUid(uid)));
  const sources: typeof api = {
    ...api,
    configMap: async (ns, name) => configMaps?.get(name, ns) ?? api.configMap(ns, name),
    secret: async (ns, name) => secrets?.get(name, ns) ?? api.secret(ns, name),
    serviceAccountToken: (pod, req) => tokens.token(pod, req),
  };
  const memory = parseQuantity(o.capacity.memory);
  const setup = new ContainerSetup({
    dirs: new PodDirs(o.agentDir),
    sources,
    allocatable: { cpu: o.capacity.cpu, memory: o.capacity.memory, 'ephemeral-storage': o.capacity['ephemeral-storage'] },
    memoryCapacity: memory === null ? undefined : Number(memory / 1_000_000_000n),
    clusterDomain: o.clusterDomain ?? 'cluster.local',
  });
  const resync = (what: string, p: Promise<void>) => p.catch((err: Error) => o.log.warn('volumes not re-rendered', { source: what, error: err.message }));
  const onSource = (kind: 'configMap' | 'secret') => ({
    onUpdate: (old: ConfigMap | Secret, cur: ConfigMap | Secret) => {
      if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
      const { namespace, name } = cur.metadata ?? {};
      void resync(`${kind} ${namespace}/${name}`, setup.resyncSource(kind, namespace!, name!));
    },
  });
  configMaps?.addEventHandler(onSource('configMap'));
  secrets?.addEventHandler(onSource('secret'));
  return {
    hooks: containerHooks({ setup, sources, hostIP: o.hostIP }),
    cleanupOrphanedPods: async (keep) => {
      const removed = await setup.volumes.cleanupOrphans(keep);
      for (const uid of removed) tokens.forgetPod(uid);
      return removed;
    },
    podChanged(pod, old) {
      if (!pod || !old || pod.metadata?.deletionTimestamp) return;
      if (sameMap(pod.metadata?.labels, old.metadata?.labels) && sameMap(pod.metadata?.annotations, old.metadata?.annotations)) return;
      void resync(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}`, setup.resync(pod));
    },
  };
}
