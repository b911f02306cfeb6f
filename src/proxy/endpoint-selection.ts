// Which endpoints a service port uses, as kube-proxy's topology rules decide: ready endpoints,
// or, when none is ready, the serving-but-terminating ones (so connections drain during a
// rolling update instead of failing); traffic policy Local narrows a set to this node's own,
// with the same fallback applied to the local ones alone.
import type { EndpointInfo, ServicePortInfo } from './types.js';

/** The usable endpoints of one service port, before traffic policies. */
export function usableEndpoints(endpoints: readonly EndpointInfo[]): EndpointInfo[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

/** This node's usable endpoints: local ready ones, else local serving-terminating ones. */
export function usableLocalEndpoints(endpoints: readonly EndpointInfo[]): EndpointInfo[] {
  return usableEndpoints(endpoints.filter((e) => e.isLocal));
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
  const local = usableLocalEndpoints(endpoints);
  const cluster = svc.internalTrafficPolicyLocal ? local : all;
  const external = svc.externalTrafficPolicyLocal ? local : all;
  return { cluster, external, same: svc.internalTrafficPolicyLocal === svc.externalTrafficPolicyLocal };
}

/** Whether a service port is exposed outside the cluster IP (and so needs the external set). */
export function hasExternalAddresses(svc: ServicePortInfo): boolean {
  return svc.nodePort !== undefined || svc.externalIPs.length > 0 || svc.loadBalancerIPs.length > 0;
}

/** Whether any traffic to this port is sent by Cluster policy (also pods' and the host's own traffic to external addresses under Local). */
export function usesClusterEndpoints(svc: ServicePortInfo): boolean {
  return !svc.internalTrafficPolicyLocal || hasExternalAddresses(svc);
}

export function usesLocalEndpoints(svc: ServicePortInfo): boolean {
  return svc.internalTrafficPolicyLocal || (svc.externalTrafficPolicyLocal && hasExternalAddresses(svc));
}

export interface CategorizedEndpoints {
  /** Endpoints for Cluster policy (empty when the port never uses it). */
  cluster: EndpointInfo[];
  /** Endpoints for Local policy (empty when the port never uses it). */
  local: EndpointInfo[];
  /** cluster ∪ local: every endpoint some rule may send to. */
  reachable: EndpointInfo[];
  /** Some usable endpoint exists anywhere: without one the port rejects. */
  hasAny: boolean;
}

/** kube-proxy's CategorizeEndpoints: the sets a rule-based mode programs. */
export function categorizeEndpoints(svc: ServicePortInfo, endpoints: readonly EndpointInfo[]): CategorizedEndpoints {
  const cluster = usesClusterEndpoints(svc) ? usableEndpoints(endpoints) : [];
  const local = usesLocalEndpoints(svc) ? usableLocalEndpoints(endpoints) : [];
  const hasAny = cluster.length > 0 || endpoints.some((e) => e.ready || (e.serving && e.terminating));
  const reachable = [...cluster];
  for (const e of local) if (!reachable.includes(e)) reachable.push(e);
  return { cluster, local, reachable, hasAny };
}
