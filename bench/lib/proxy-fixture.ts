// The 1,000 Services × 10 endpoints that bench/proxy programs, plus one Service in front of
// the data-path backend, as the proxy's snapshot (for measuring a mode alone) and as API objects.
import type { EndpointInfo, ProxySnapshot, ServicePortInfo } from '../../src/proxy/types.js';
import { BACKEND_PORT, DATAPATH_SERVICE_IP, POD_IP } from './proxy-datapath.js';

export const SERVICES = Number(process.env.PROXY_BENCH_SERVICES ?? 1000);
export const ENDPOINTS = 10;

export const epIP = (svc: number, k: number) => `10.42.${Math.floor(svc / 25)}.${(svc % 25) * ENDPOINTS + k + 1}`;
export const changedIP = (c: number) => `10.44.${c >> 8}.${c & 255 || 1}`;

export function servicePort(i: number | 'dp'): ServicePortInfo {
  const name = i === 'dp' ? 'datapath' : `svc-${i}`;
  return {
    key: `bench/${name}`,
    namespace: 'bench',
    name,
    portName: '',
    protocol: 'TCP',
    clusterIPs: [i === 'dp' ? DATAPATH_SERVICE_IP : `10.43.${(i + 1) >> 8}.${(i + 1) & 255}`],
    port: 80,
    externalIPs: [],
    loadBalancerIPs: [],
    externalTrafficPolicyLocal: false,
    internalTrafficPolicyLocal: false,
  };
}

export const endpoint = (ip: string, port = 8080): EndpointInfo => ({ ip, port, ready: true, serving: true, terminating: false, isLocal: false });

/** The bench's programmed state, changed one endpoint at a time. */
export class BenchSnapshot {
  readonly services = new Map<string, ServicePortInfo>();
  readonly endpoints = new Map<string, EndpointInfo[]>();

  constructor() {
    for (let i = 0; i < SERVICES; i++) {
      const s = servicePort(i);
      this.services.set(s.key, s);
      this.endpoints.set(
        s.key,
        Array.from({ length: ENDPOINTS }, (_, k) => endpoint(epIP(i, k))),
      );
    }
    const dp = servicePort('dp');
    this.services.set(dp.key, dp);
    this.endpoints.set(dp.key, [endpoint(POD_IP, BACKEND_PORT)]);
  }

  /** Change c: one endpoint of one Service gets a new address; returns the Service's key. */
  change(c: number): string {
    const i = (c * 7) % SERVICES;
    const key = servicePort(i).key;
    const eps = [...this.endpoints.get(key)!];
    eps[c % ENDPOINTS] = endpoint(changedIP(c));
    this.endpoints.set(key, eps);
    return key;
  }

  snapshot(): ProxySnapshot {
    return { nodeName: 'bench', nodeIPs: ['10.250.0.1'], services: new Map(this.services), endpoints: new Map(this.endpoints) };
  }
}
