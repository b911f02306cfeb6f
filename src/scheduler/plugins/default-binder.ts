// DefaultBinder: the pods/binding subresource sets spec.nodeName (and PodScheduled=True).
import type { Client } from '../../client/client.js';
import { Status, type Plugin } from '../types.js';

export function defaultBinder(client: Client): Plugin {
  return {
    name: 'DefaultBinder',
    async bind(_s, pod, nodeName) {
      try {
        await client.bindPod(pod.namespace, pod.name, nodeName, { uid: pod.uid || undefined });
        return undefined;
      } catch (e) {
        return Status.error((e as Error).message);
      }
    },
  };
}
