// Which endpoints a service port uses, as kube-proxy's topology rules decide: ready endpoints,
// or, when none is ready, the serving-but-terminating ones (so connections drain during a
// rolling update instead of failing); traffic policy Local narrows a set to this node's own.
import type { EndpointInfo, ServicePortInfo } from './types.js';

/** The usable endpoints of one service port, before traffic policies. */
export function usableEndpoints(endpoints: readonly EndpointInfo[]): EndpointInfo[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

export interface SelectedEndpoints {
  /** For traffic from inside the cluster to the cluster IP (internalTrafficPolicy). */
  cluster: EndpointInfo[];
  /** For traffic to NodePort, externalIPs and LoadBalancer addresses (externalTrafficPolicy). */
  external: EndpointInfo[];
  /** True when both sets are the same list: modes can emit one chain for both. */
  same: boolean;
}

export function selectEndpoints(svc: ServicePortInfo, endpoints: readonly EndpointInfo[]): SelectedEndpoints {
  const all = usableEndpoints(endpoints);
  const local = all.filter((e) => e.isLocal);
  const cluster = svc.internalTrafficPolicyLocal ? local : all;
  const external = svc.externalTrafficPolicyLocal ? local : all;
  return { cluster, external, same: svc.internalTrafficPolicyLocal === svc.externalTrafficPolicyLocal };
}

/** Whether a service port is exposed outside the cluster IP (and so needs the external set). */
export function hasExternalAddresses(svc: ServicePortInfo): boolean {
  return svc.nodePort !== undefined || svc.externalIPs.length > 0 || svc.loadBalancerIPs.length > 0;
}
