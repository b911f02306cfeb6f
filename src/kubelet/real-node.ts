// What a node agent adds when its runtime runs real processes: the volume/env/config hooks
// for its pod workers (ContainerSetup behind containerHooks), ConfigMap and Secret volumes
// re-rendered when their sources change, and downward-API volumes when a pod's labels or
// annotations do. The simulated runtime needs none of it.
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/core/validate-helpers.js';
import type { Client } from '../client/client.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { apiSources } from './container/api-sources.js';
import { containerHooks, type ContainerHooks } from './pod/container-hooks.js';
import { ContainerSetup } from './container/setup.js';
import { PodDirs } from './container/pod-dirs.js';
import { ServiceAccountTokenManager, type RequestToken } from './volumes/token-manager.js';
import { podSources, ReferencedObjects, type SourceKind } from './volumes/referenced-objects.js';

export interface RealNodeOptions {
  client: Client;
  /** DATA_DIR/agent: pods' volumes, /etc/hosts and termination files live under it. */
  agentDir: string;
  hostIP: string;
  /** The node's capacity: the stand-in for limits a container leaves unset. */
  capacity: Record<string, string>;
  log: Logger;
  clusterDomain?: string;
  /**
   * Watch each ConfigMap and Secret this node's pods reference (default true), so a change
   * reaches running pods' volumes. Without, they are read with GET when a pod needs them,
   * and a change reaches a running pod's volume only when the pod is set up again.
   */
  watchSources?: boolean;
}

export interface RealNodeSetup {
  hooks: ContainerHooks;
  /** Told of every change of a pod on this node. */
  podChanged(pod: Pod | undefined, old: Pod | undefined): void;
  /** Removes the directories (and mounts) of pods not in `keep`; returns their uids. */
  cleanupOrphanedPods(keep: Set<string>): Promise<string[]>;
  /** Ends the watches of referenced ConfigMaps and Secrets. */
  stop(): void;
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
  // The ConfigMaps and Secrets of this node's pods are watched anyway (their volumes follow
  // them): env and volumes read those watches' caches, and the API only for one not seen yet.
  const watch = o.watchSources !== false;
  const resync = (what: string, p: Promise<void>) => p.catch((err: Error) => o.log.warn('volumes not re-rendered', { source: what, error: err.message }));
  const changed = (kind: SourceKind) => (namespace: string, name: string) =>
    void resync(`${kind} ${namespace}/${name}`, setup.resyncSource(kind, namespace, name));
  const configMaps = watch ? new ReferencedObjects<ConfigMap>(o.client.resource(resources.configMaps), changed('configMap'), o.log) : undefined;
  const secrets = watch ? new ReferencedObjects<Secret>(o.client.resource(resources.secrets), changed('secret'), o.log) : undefined;
  const api = apiSources(o.client);
  // Bound service-account tokens for projected volumes; a token that is due re-renders its pod's volumes.
  const tokens = new ServiceAccountTokenManager(tokenRequester(o.client), (uid) => void resync(`pod ${uid} token`, setup.volumes.resyncUid(uid)));
  const sources: typeof api = {
    ...api,
    configMap: async (ns, name) => configMaps?.get(ns, name) ?? api.configMap(ns, name),
    secret: async (ns, name) => secrets?.get(ns, name) ?? api.secret(ns, name),
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
  const follow = (pod: Pod) => {
    const uid = pod.metadata?.uid;
    if (!uid || !configMaps || !secrets) return;
    const refs = podSources(pod);
    const ns = pod.metadata?.namespace ?? '';
    configMaps.setPod(
      uid,
      ns,
      refs.filter((r) => r.kind === 'configMap').map((r) => r.name),
    );
    secrets.setPod(
      uid,
      ns,
      refs.filter((r) => r.kind === 'secret').map((r) => r.name),
    );
  };
  const unfollow = (uid: string | undefined) => {
    if (!uid) return;
    configMaps?.forgetPod(uid);
    secrets?.forgetPod(uid);
  };
  return {
    stop() {
      configMaps?.stop();
      secrets?.stop();
    },
    hooks: containerHooks({ setup, sources, hostIP: o.hostIP }),
    cleanupOrphanedPods: async (keep) => {
      const removed = await setup.volumes.cleanupOrphans(keep);
      for (const uid of removed) tokens.forgetPod(uid);
      return removed;
    },
    podChanged(pod, old) {
      if (pod) follow(pod);
      else unfollow(old?.metadata?.uid);
      if (!pod || !old || pod.metadata?.deletionTimestamp) return;
      if (sameMap(pod.metadata?.labels, old.metadata?.labels) && sameMap(pod.metadata?.annotations, old.metadata?.annotations)) return;
      void resync(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}`, setup.resync(pod));
    },
  };
}
