// The role labels of the server's own node (kubectl get nodes: ROLES control-plane,master). A
// node may not give itself node-role.kubernetes.io labels (NodeRestriction), so the server sets
// them with its own credentials once its agent has registered the Node, as k3s's server does.
import type { Client } from '../client/client.js';
import type { Logger } from '../util/log.js';

export const CONTROL_PLANE_LABELS: Readonly<Record<string, string>> = {
  'node-role.kubernetes.io/control-plane': 'true',
  'node-role.kubernetes.io/master': 'true',
};

/** Adds the labels the Node lacks; one merge patch, nothing when they are all there already. */
export async function labelControlPlaneNode(client: Client, nodeName: string, log: Logger): Promise<void> {
  const node = await client.nodes.get(nodeName);
  const labels = node.metadata?.labels ?? {};
  const missing = Object.fromEntries(Object.entries(CONTROL_PLANE_LABELS).filter(([k, v]) => labels[k] !== v));
  if (Object.keys(missing).length === 0) return;
  await client.nodes.patch(nodeName, { metadata: { labels: missing } }, 'merge');
  log.info('labelled this node as the control plane', { node: nodeName });
}
