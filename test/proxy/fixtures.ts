// Service ports and endpoints for the proxy's unit tests.
import type { EndpointInfo, ServicePortInfo } from '../../src/proxy/types.js';
import { servicePortKey } from '../../src/proxy/types.js';

export function port(namespace: string, name: string, portName: string, over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    key: servicePortKey(namespace, name, portName),
    namespace,
    name,
    portName,
    protocol: 'TCP',
    clusterIPs: ['172.30.0.41'],
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
