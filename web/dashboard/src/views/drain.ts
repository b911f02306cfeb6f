// kubectl drain's core: cordon, then evict every pod on the node except DaemonSet pods and
// mirror pods (they would come straight back). Evictions respect PodDisruptionBudgets.
import { call, describeError, type KList, mergePatch } from '../api.js';

export async function drainNode(node: string): Promise<string[]> {
  await mergePatch(`/api/v1/nodes/${encodeURIComponent(node)}`, { spec: { unschedulable: true } });
  const pods = await call<KList>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}` } });
  const failed: string[] = [];
  for (const p of pods.items) {
    if (p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet')) continue;
    if (p.metadata.annotations?.['kubernetes.io/config.mirror']) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const { name, namespace } = p.metadata;
    try {
      await call(`/api/v1/namespaces/${encodeURIComponent(namespace!)}/pods/${encodeURIComponent(name)}/eviction`, {
        method: 'POST',
        contentType: 'application/json',
        body: JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } }),
      });
    } catch (err) {
      failed.push(`${namespace}/${name}: ${describeError(err)}`);
    }
  }
  return failed;
}
