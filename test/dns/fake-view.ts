// A ClusterView over plain arrays, for record tests (the informer-backed one is tested
// through a real server).
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ClusterView } from '../../src/dns/records.js';

export function arrayView(services: Service[], slices: EndpointSlice[], pods: Pod[] = []): ClusterView {
  return {
    service: (ns, name) => services.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
    endpointSlices: (ns, name) => slices.filter((s) => s.metadata?.namespace === ns && s.metadata?.labels?.['kubernetes.io/service-name'] === name),
    namespaceHasServices: (ns) => services.some((s) => s.metadata?.namespace === ns),
    servicesWithIP: (ip) => services.filter((s) => (s.spec?.clusterIPs ?? [s.spec?.clusterIP]).includes(ip)),
    endpointSlicesWithIP: (ip) => slices.filter((s) => (s.endpoints ?? []).some((e) => e.addresses.includes(ip))),
    podsWithIP: (ip) => pods.filter((p) => p.status?.podIP === ip),
    serial: () => 42,
  };
}

export function service(ns: string, name: string, spec: Service['spec']): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec };
}

export function slice(ns: string, svc: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'] = [], addressType = 'IPv4'): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType,
    metadata: { namespace: ns, name: `${svc}-${addressType}`, labels: { 'kubernetes.io/service-name': svc } },
    endpoints,
    ports,
  };
}
