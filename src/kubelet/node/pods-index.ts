// The shared indexes node agents put on the informers they use.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { InformerRouter } from './router.js';

export const POD_NODE_INDEX = 'kubelet:spec.nodeName';
const byNode = (p: Pod) => (p.spec?.nodeName ? [p.spec.nodeName] : []);

/** Routers for pods (by spec.nodeName) and nodes (by name) over the given informers. */
export function agentRouters(pods: SharedInformer<Pod>, nodes: SharedInformer<Node>) {
  pods.addIndexers({ [POD_NODE_INDEX]: byNode });
  return {
    pods: new InformerRouter<Pod>(pods, (p) => p.spec?.nodeName || undefined),
    nodes: new InformerRouter<Node>(nodes, (n) => n.metadata?.name),
    podsOnNode: (name: string) => pods.store.byIndex(POD_NODE_INDEX, name),
  };
}
