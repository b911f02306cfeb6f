// The pod worker's hooks on a node that runs real processes: volumes before the sandbox,
// env/mounts/resources/security for each container, the termination message file, pull
// secrets, and cleanup — all from ContainerSetup. The simulated runtime gets none of them.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerSetup } from '../container/setup.js';
import { readTerminationMessage } from '../container/config.js';
import type { PodSyncDeps } from './worker-deps.js';
import { podPullAuths } from '../container/pull-secrets.js';
import type { ContainerStatus } from '../runtime/types.js';
import type { EnvSources } from '../container/env.js';

export type ContainerHooks = Pick<PodSyncDeps, 'preparePod' | 'containerConfig' | 'cleanupPod' | 'terminationMessage' | 'pullSecrets'>;

export interface ContainerHooksOptions {
  setup: ContainerSetup;
  sources: Pick<EnvSources, 'secret'>;
  hostIP: string;
}

export function containerHooks(o: ContainerHooksOptions): ContainerHooks {
  // Termination-message files are fresh per attempt; remembered here until the pod is gone.
  const messageFiles = new Map<string, string>();
  const key = (uid: string, name: string, attempt: number) => `${uid}/${name}/${attempt}`;
  return {
    preparePod: (pod: Pod) => o.setup.preparePod(pod, (pod.status?.podIPs ?? []).map((p) => p.ip!).filter(Boolean)),
    containerConfig: async (pod: Pod, c: Container, attempt: number, podIPs: string[]) => {
      if (podIPs.length && !pod.spec?.hostNetwork) await o.setup.writeHosts(pod, podIPs);
      const { config, terminationMessageFile } = await o.setup.containerConfig(pod, c, { attempt, podIPs, hostIPs: [o.hostIP] });
      if (terminationMessageFile) messageFiles.set(key(pod.metadata!.uid!, c.name, attempt), terminationMessageFile);
      return config;
    },
    terminationMessage: async (pod: Pod, c: Container, st: ContainerStatus) => {
      const file = messageFiles.get(key(pod.metadata!.uid!, c.name, st.metadata.attempt));
      return file ? readTerminationMessage(file) : undefined;
    },
    pullSecrets: (pod: Pod) => podPullAuths(pod, async (ns, name) => o.sources.secret(ns, name)),
    cleanupPod: async (uid: string) => {
      for (const k of messageFiles.keys()) if (k.startsWith(`${uid}/`)) messageFiles.delete(k);
      await o.setup.cleanupPod(uid);
    },
  };
}
