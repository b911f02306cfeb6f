// The service proxy's view of the cluster: one entry per Service port, with the endpoints
// that back it, flattened from Services and EndpointSlices. Every mode (iptables, nftables,
// userspace) programs the same snapshot, so Kubernetes' Service semantics are decided once,
// here and in endpoint-selection.ts, and the modes only translate them.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/**
 * `namespace/name:portName`, or `namespace/name` for an unnamed port: exactly as kube-proxy's
 * ServicePortName prints, since iptables chain names are hashed from this text.
 */
export type ServicePortKey = string;

export function servicePortKey(namespace: string, name: string, portName: string): ServicePortKey {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

export interface ServicePortInfo {
  key: ServicePortKey;
  namespace: string;
  name: string;
  /** The Service's uid, so Events name the object they are about. */
  uid?: string;
  /** The Service port's name ('' for an unnamed single port). */
  portName: string;
  protocol: Protocol;
  /** spec.clusterIPs without 'None' (empty for headless Services, which get no rules). */
  clusterIPs: string[];
  port: number;
  /** spec.ports[].nodePort for NodePort and LoadBalancer Services. */
  nodePort?: number;
  externalIPs: string[];
  /** status.loadBalancer.ingress[].ip. */
  loadBalancerIPs: string[];
  /** Set for sessionAffinity: ClientIP. */
  affinityTimeoutSeconds?: number;
  externalTrafficPolicyLocal: boolean;
  internalTrafficPolicyLocal: boolean;
  /** spec.healthCheckNodePort (LoadBalancer + externalTrafficPolicy Local). */
  healthCheckNodePort?: number;
}

export interface EndpointInfo {
  ip: string;
  port: number;
  /** conditions.ready (absent counts as true, as the EndpointSlice API says). */
  ready: boolean;
  /** conditions.serving (absent: same as ready). */
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  /** nodeName equals the proxy's own node. */
  isLocal: boolean;
}

export interface ProxySnapshot {
  /** The node this proxy runs on. */
  nodeName: string;
  /** The node's own addresses (InternalIP, ExternalIP): NodePorts and LoadBalancer answer on them. */
  nodeIPs: string[];
  services: ReadonlyMap<ServicePortKey, ServicePortInfo>;
  /** Every endpoint of each service port, whatever its conditions; endpoint-selection.ts filters. */
  endpoints: ReadonlyMap<ServicePortKey, readonly EndpointInfo[]>;
}

/**
 * One proxy mode. `sync` is level-triggered: it makes the node's data path match the snapshot.
 * `changed` names the service ports whose service or endpoints changed since the last sync, so a
 * mode may rewrite only those ('all' for a full resync, which also repairs what others removed).
 */
export interface ProxyMode {
  readonly name: 'iptables' | 'nftables' | 'userspace';
  sync(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void>;
  /**
   * Optional cheap check, run periodically, that what the mode programmed is still in place.
   * false (or no such method) makes the periodic resync a full one; true lets the runner skip
   * the full rewrite until the next one is due (kube-proxy rewrites everything hourly).
   */
  intact?(): Promise<boolean>;
  /** Service ports the mode left out (rules refused or not generated), with why; for Events. */
  skipped?(): ReadonlyMap<ServicePortKey, string>;
  /** Removes everything this mode made on the node (skiff cleanup, switching modes). */
  cleanup(): Promise<void>;
  /** Stops listeners and timers; rules stay in place (pods keep working, as with kube-proxy). */
  stop(): Promise<void>;
}
