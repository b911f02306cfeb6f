// What NodeRestriction is to a node, this is to a joined agent's DNS identity
// (system:skiff-dns:<node>): its role lets it write EndpointSlices, and this admission check
// narrows that to the one slice its DNS publishes, kube-system/kube-dns-<node>, for the
// kube-dns Service and endpoints on its own node. Any node may obtain that identity, so
// without this a node could still send another Service's traffic where it likes.
import { agentDnsNodeOf, KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE, nodeDnsSliceName } from '../../../api/certificates/agent-components.js';
import type { AdmissionHook } from '../../rest/resource-store.js';
import { errors } from '../../status.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function agentDnsRestriction(): AdmissionHook {
  return (op, def, obj, _old, requester) => {
    if (!requester || def.group !== 'discovery.k8s.io' || def.plural !== 'endpointslices') return;
    const node = agentDnsNodeOf(requester.user);
    if (node === undefined) return;
    const name: string = obj.metadata?.name ?? '';
    const deny = (msg: string) => errors.forbidden(def.group, def.plural, name, `user ${JSON.stringify(requester.user.username)} ${msg}`);
    const own = nodeDnsSliceName(node);
    if (obj.metadata?.namespace !== KUBE_DNS_NAMESPACE || name !== own) throw deny(`can only write the EndpointSlice ${KUBE_DNS_NAMESPACE}/${own}`);
    if (op === 'delete') return;
    if (obj.metadata?.labels?.[SERVICE_NAME_LABEL] !== KUBE_DNS_SERVICE)
      throw deny(`can only write an EndpointSlice labelled ${SERVICE_NAME_LABEL}=${KUBE_DNS_SERVICE}`);
    const endpoints = (obj.endpoints ?? []) as { nodeName?: string }[];
    if (endpoints.some((e) => e.nodeName !== node)) throw deny(`can only publish endpoints with nodeName ${JSON.stringify(node)}`);
  };
}
