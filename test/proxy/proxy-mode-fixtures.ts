// Service ports, endpoints and snapshots for the proxy mode tests, in the shapes of kube-proxy's own tests.
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../../src/proxy/types.js';
import { servicePortKey } from '../../src/proxy/types.js';

export function svcPort(ns: string, name: string, portName: string, over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    key: servicePortKey(ns, name, portName),
    namespace: ns,
    name,
    portName,
    protocol: 'TCP',
    clusterIPs: [],
    port: 80,
    externalIPs: [],
    loadBalancerIPs: [],
    externalTrafficPolicyLocal: false,
    internalTrafficPolicyLocal: false,
    ...over,
  };
}

export function ep(ip: string, port: number, over: Partial<EndpointInfo> = {}): EndpointInfo {
  return { ip, port, ready: true, serving: true, terminating: false, isLocal: false, ...over };
}

export function snapshot(nodeIPs: string[], entries: [ServicePortInfo, EndpointInfo[]][]): ProxySnapshot {
  return {
    nodeName: 'node-a',
    nodeIPs,
    services: new Map(entries.map(([s]) => [s.key, s])),
    endpoints: new Map(entries.map(([s, e]) => [s.key, e])),
  };
}
