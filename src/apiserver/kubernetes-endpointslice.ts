// The `kubernetes` EndpointSlice beside the `kubernetes` Endpoints, as kube-apiserver's
// endpoints adapter writes both: service proxies read EndpointSlices only, so without it
// pods could not reach the API server through 10.43.0.1:443.
import type { KObject } from '../api/types.js';

export const KUBERNETES_SLICE_KEY = '/registry/endpointslices/default/kubernetes';

interface Subset {
  addresses?: { ip: string }[];
  ports?: { name?: string; port: number; protocol?: string }[];
}

/** The slice for the Endpoints' addresses (one port list: servers share a port, as the reconciler groups them). */
export function kubernetesEndpointSlice(endpoints: KObject, current?: KObject): KObject {
  const subsets = (endpoints as { subsets?: Subset[] }).subsets ?? [];
  const first = subsets[0];
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'kubernetes' },
      ...(current?.metadata?.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
    },
    addressType: 'IPv4',
    endpoints: (first?.addresses ?? []).map((a) => ({ addresses: [a.ip], conditions: { ready: true } })),
    ports: (first?.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
  } as KObject;
}
