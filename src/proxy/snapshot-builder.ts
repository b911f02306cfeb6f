// Keeps the proxy's snapshot from shared informers of Services, EndpointSlices and this
// node's Node: each event only marks its Service dirty; take() recomputes the dirty Services'
// ports and reports the ones whose content changed, so a sync can rewrite just those.
import type { Node, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { SharedInformer } from '../client/informer.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { servicePortKey, type EndpointInfo, type Protocol, type ProxySnapshot, type ServicePortInfo, type ServicePortKey } from './types.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Kubernetes' default ClientIP affinity timeout (3 hours). */
export const DEFAULT_AFFINITY_SECONDS = 10800;

export interface SnapshotChange {
  snapshot: ProxySnapshot;
  changed: Set<ServicePortKey>;
  /** Something every port depends on changed (the node's addresses): sync everything. */
  all: boolean;
}

export interface SnapshotBuilderOptions {
  informers: SharedInformerFactory;
  nodeName: string;
  /** The node's addresses; default: its Node's InternalIP and ExternalIP addresses. */
  nodeIPs?: string[];
  /** Called (synchronously, cheaply) whenever something may have changed. */
  onChange(): void;
}

const nsName = (o: { metadata?: { namespace?: string; name?: string } }) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class SnapshotBuilder {
  private readonly services: SharedInformer<Service>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly nodes: SharedInformer<Node>;
  /** Service (ns/name) → its EndpointSlices by name. */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly dirty = new Set<string>();
  private readonly portsByService = new Map<string, ServicePortKey[]>();
  private readonly svcInfo = new Map<ServicePortKey, ServicePortInfo>();
  private readonly endpoints = new Map<ServicePortKey, EndpointInfo[]>();
  private readonly fingerprints = new Map<ServicePortKey, string>();
  private nodeIPs: string[];
  private nodeIPsChanged = true;

  constructor(private readonly opts: SnapshotBuilderOptions) {
    this.nodeIPs = opts.nodeIPs ?? [];
    this.services = opts.informers.informerFor(resources.services);
    this.slices = opts.informers.informerFor(resources.endpointSlices);
    this.nodes = opts.informers.informerFor(resources.nodes, { fieldSelector: `metadata.name=${opts.nodeName}` });
    const mark = (key: string) => {
      this.dirty.add(key);
      opts.onChange();
    };
    this.services.addEventHandler({
      onAdd: (s) => mark(nsName(s)),
      onUpdate: (o, s) => o !== s && mark(nsName(s)),
      onDelete: (s) => mark(nsName(s)),
    });
    const sliceService = (s: EndpointSlice) => {
      const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return svc ? `${s.metadata!.namespace}/${svc}` : undefined;
    };
    const putSlice = (s: EndpointSlice) => {
      const svc = sliceService(s);
      if (!svc) return;
      let m = this.slicesByService.get(svc);
      if (!m) this.slicesByService.set(svc, (m = new Map()));
      m.set(s.metadata!.name!, s);
      mark(svc);
    };
    const dropSlice = (s: EndpointSlice) => {
      const svc = sliceService(s);
      if (!svc) return;
      const m = this.slicesByService.get(svc);
      m?.delete(s.metadata!.name!);
      if (m?.size === 0) this.slicesByService.delete(svc);
      mark(svc);
    };
    this.slices.addEventHandler({
      onAdd: putSlice,
      onUpdate: (o, s) => {
        if (o === s) return;
        if (sliceService(o) !== sliceService(s)) dropSlice(o);
        putSlice(s);
      },
      onDelete: dropSlice,
    });
    if (!opts.nodeIPs)
      this.nodes.addEventHandler({
        onAdd: (n) => this.setNodeIPs(n),
        onUpdate: (_o, n) => this.setNodeIPs(n),
      });
  }

  private setNodeIPs(n: Node): void {
    const ips = (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address);
    if (ips.join(',') === this.nodeIPs.join(',')) return;
    this.nodeIPs = ips;
    this.nodeIPsChanged = true;
    this.opts.onChange();
  }

  hasSynced(): boolean {
    return this.services.hasSynced() && this.slices.hasSynced() && this.nodes.hasSynced();
  }

  /** Applies what changed since the last call; the returned snapshot is not changed later. */
  take(): SnapshotChange {
    const changed = new Set<ServicePortKey>();
    for (const svcKey of this.dirty) {
      const [namespace, name] = svcKey.split('/') as [string, string];
      const svc = this.services.get(name, namespace);
      const ports = svc ? servicePorts(svc) : [];
      const slices = [...(this.slicesByService.get(svcKey)?.values() ?? [])];
      const keys: ServicePortKey[] = [];
      for (const { info, port } of ports) {
        const eps = endpointsFor(port, slices, this.opts.nodeName);
        const fp = JSON.stringify([info, eps]);
        keys.push(info.key);
        if (this.fingerprints.get(info.key) === fp) continue;
        this.fingerprints.set(info.key, fp);
        this.svcInfo.set(info.key, info);
        this.endpoints.set(info.key, eps);
        changed.add(info.key);
      }
      for (const old of this.portsByService.get(svcKey) ?? []) {
        if (keys.includes(old)) continue;
        this.fingerprints.delete(old);
        this.svcInfo.delete(old);
        this.endpoints.delete(old);
        changed.add(old);
      }
      if (keys.length) this.portsByService.set(svcKey, keys);
      else this.portsByService.delete(svcKey);
    }
    this.dirty.clear();
    const all = this.nodeIPsChanged;
    this.nodeIPsChanged = false;
    return {
      snapshot: { nodeName: this.opts.nodeName, nodeIPs: [...this.nodeIPs], services: new Map(this.svcInfo), endpoints: new Map(this.endpoints) },
      changed,
      all,
    };
  }
}

/** The proxied ports of a Service: none for ExternalName and headless Services. */
export function servicePorts(svc: Service): { info: ServicePortInfo; port: ServicePort }[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const clusterIPs = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None');
  if (clusterIPs.length === 0) return [];
  const exposesNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const externalIPs = spec.externalIPs ?? [];
  const etpLocal = spec.externalTrafficPolicy === 'Local' && (exposesNodePorts || externalIPs.length > 0);
  const lbIPs = spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip) : [];
  const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : undefined;
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  return (spec.ports ?? []).map((port) => ({
    port,
    info: {
      key: servicePortKey(namespace, name, port.name ?? ''),
      namespace,
      name,
      ...(svc.metadata?.uid ? { uid: svc.metadata.uid } : {}),
      portName: port.name ?? '',
      protocol: (port.protocol ?? 'TCP') as Protocol,
      clusterIPs,
      port: port.port,
      ...(exposesNodePorts && port.nodePort ? { nodePort: port.nodePort } : {}),
      externalIPs,
      loadBalancerIPs: lbIPs,
      ...(affinity !== undefined ? { affinityTimeoutSeconds: affinity } : {}),
      externalTrafficPolicyLocal: etpLocal,
      internalTrafficPolicyLocal: spec.internalTrafficPolicy === 'Local',
      ...(etpLocal && spec.healthCheckNodePort ? { healthCheckNodePort: spec.healthCheckNodePort } : {}),
    },
  }));
}

/**
 * A Service port's endpoints from its EndpointSlices: the slice port with the Service port's
 * name and protocol gives the number (so named targetPorts resolve per pod, as kube-proxy does).
 */
export function endpointsFor(port: ServicePort, slices: readonly EndpointSlice[], nodeName: string): EndpointInfo[] {
  const byAddr = new Map<string, EndpointInfo>();
  const protocol = port.protocol ?? 'TCP';
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const sp = (s.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol);
    if (!sp || sp.port === undefined || sp.port === null) continue;
    for (const e of s.endpoints ?? []) {
      const ip = e.addresses?.[0];
      if (!ip) continue;
      const ready = e.conditions?.ready ?? true;
      const info: EndpointInfo = {
        ip,
        port: sp.port,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
        ...(e.nodeName ? { nodeName: e.nodeName } : {}),
        isLocal: e.nodeName === nodeName,
      };
      const k = `${ip}:${sp.port}`;
      // The same endpoint in two slices (mid-move): the ready copy wins.
      const seen = byAddr.get(k);
      if (!seen || (!seen.ready && info.ready)) byAddr.set(k, info);
    }
  }
  return [...byAddr.values()].sort((a, b) => (`${a.ip}:${a.port}` < `${b.ip}:${b.port}` ? -1 : 1));
}
