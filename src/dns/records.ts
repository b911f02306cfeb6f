// The records of the cluster zone, computed on demand from the informer caches, as the
// Kubernetes DNS-based service discovery specification (kubernetes/dns, version 1.1.0)
// lays them out and CoreDNS's kubernetes plugin serves them:
//   <svc>.<ns>.svc.<zone>                 A/AAAA: cluster IPs, or each ready endpoint (headless);
//                                         CNAME for ExternalName; SRV for every named port
//   _<port>._<proto>.<svc>.<ns>.svc.<zone> SRV to the Service name, or to each endpoint (headless)
//   <hostname>.<svc>.<ns>.svc.<zone>      A/AAAA of a headless Service's endpoint (its hostname
//                                         field, else its dashed address)
//   <a-b-c-d>.<ns>.pod.<zone>             A (AAAA for dashed IPv6)
//   dns-version.<zone>                    TXT "1.1.0"
//   reverse names                          PTR of cluster IPs and headless endpoints
// Nothing here touches the network: the server asks, this answers.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { addressOfReverseName, canonicalName, dashedIP, ipFamily, labelsInZone, normalizeIP, parseDashedIP } from './names.js';

export const SCHEMA_VERSION = '1.1.0';
export const DEFAULT_TTL = 5;

export interface ClusterView {
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices labelled kubernetes.io/service-name=<name> in the namespace. */
  endpointSlices(namespace: string, service: string): readonly EndpointSlice[];
  namespaceHasServices(namespace: string): boolean;
  servicesWithIP(ip: string): readonly Service[];
  endpointSlicesWithIP(ip: string): readonly EndpointSlice[];
  /** Pods with this IP; only needed for podRecords 'verified'. */
  podsWithIP?(ip: string): readonly Pod[];
  /** Changes whenever the data does: the SOA serial. */
  serial(): number;
}

export interface ZoneOptions {
  /** The cluster domain, e.g. cluster.local. */
  domain: string;
  /** TTL of every record and of negative answers (SOA minimum). */
  ttl?: number;
  /**
   * <a-b-c-d>.<ns>.pod.<zone>: 'insecure' answers for any address (the specification's
   * deprecated record, and CoreDNS's `pods insecure`, the default kubeadm and k3s ship);
   * 'verified' only for a pod with that IP in that namespace; 'disabled' never.
   */
  podRecords?: 'insecure' | 'verified' | 'disabled';
}

export interface SrvData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
export interface SoaData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export type RR =
  | { name: string; type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS'; ttl: number; class: 'IN'; data: string }
  | { name: string; type: 'SRV'; ttl: number; class: 'IN'; data: SrvData }
  | { name: string; type: 'TXT'; ttl: number; class: 'IN'; data: string[] }
  | { name: string; type: 'SOA'; ttl: number; class: 'IN'; data: SoaData };

export interface LookupResult {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: RR[];
  authorities: RR[];
  additionals: RR[];
  /** An ExternalName's target outside the zone: the server may resolve it upstream for A/AAAA. */
  externalTarget?: string;
}

/** What exists at one name: an empty object is an empty non-terminal (NODATA for every type). */
interface NameData {
  A?: string[];
  AAAA?: string[];
  CNAME?: string;
  SRV?: SrvData[];
  TXT?: string[];
  PTR?: string[];
  SOA?: true;
  NS?: string[];
}

interface Endpoint {
  hostname: string;
  addresses: string[];
}

const ADDRESS_TYPES = ['A', 'AAAA'] as const;

export class ClusterZone {
  readonly domain: string;
  readonly ttl: number;
  private readonly podRecords: 'insecure' | 'verified' | 'disabled';

  constructor(
    private readonly view: ClusterView,
    opts: ZoneOptions,
  ) {
    this.domain = canonicalName(opts.domain);
    this.ttl = opts.ttl ?? DEFAULT_TTL;
    this.podRecords = opts.podRecords ?? 'insecure';
  }

  /** Whether the name belongs to the cluster zone (reverse names only when they are known). */
  owns(name: string): boolean {
    const n = name.endsWith('.') ? name.slice(0, -1) : name;
    return (
      n.length >= this.domain.length &&
      n.toLowerCase().endsWith(this.domain) &&
      (n.length === this.domain.length || n[n.length - this.domain.length - 1] === '.')
    );
  }

  /**
   * The answer for a question, or undefined when the name is not the cluster's to answer
   * (outside the zone, or a reverse name of no cluster address): the server forwards those.
   */
  lookup(name: string, type: string): LookupResult | undefined {
    const canonical = canonicalName(name);
    const owner = name.endsWith('.') ? name.slice(0, -1) : name;
    const labels = labelsInZone(canonical, this.domain);
    if (!labels) {
      const ptr = this.reverse(canonical);
      if (!ptr) return undefined;
      return this.answer(owner, type, ptr, 0);
    }
    return this.answer(owner, type, this.nameData(labels), 0);
  }

  soa(): RR {
    return {
      name: this.domain,
      type: 'SOA',
      ttl: this.ttl,
      class: 'IN',
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.view.serial(),
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  private answer(owner: string, type: string, data: NameData | undefined, depth: number): LookupResult {
    if (!data) return { rcode: 'NXDOMAIN', answers: [], authorities: [this.soa()], additionals: [] };
    const out: LookupResult = { rcode: 'NOERROR', answers: [], authorities: [], additionals: [] };
    if (data.CNAME && type !== 'CNAME') {
      out.answers.push(this.rr(owner, 'CNAME', data.CNAME));
      const target = canonicalName(data.CNAME);
      const inZone = labelsInZone(target, this.domain);
      // A chain inside the zone is followed here (bounded); one leaving it, by the server.
      if (inZone && depth < 8) {
        const next = this.answer(data.CNAME, type, this.nameData(inZone), depth + 1);
        out.answers.push(...next.answers);
        out.additionals.push(...next.additionals);
        out.rcode = next.rcode;
        out.authorities = next.authorities;
      } else if (!inZone && (type === 'A' || type === 'AAAA')) out.externalTarget = target;
      return out;
    }
    const want = type === 'ANY' ? (['A', 'AAAA', 'CNAME', 'SRV', 'TXT', 'PTR', 'NS', 'SOA'] as const) : [type];
    for (const t of want) this.add(out, owner, t, data);
    if (!out.answers.length) out.authorities.push(this.soa());
    return out;
  }

  private add(out: LookupResult, owner: string, type: string, data: NameData): void {
    switch (type) {
      case 'A':
      case 'AAAA':
        for (const ip of data[type] ?? []) out.answers.push(this.rr(owner, type, ip));
        break;
      case 'CNAME':
        if (data.CNAME) out.answers.push(this.rr(owner, 'CNAME', data.CNAME));
        break;
      case 'PTR':
        for (const p of data.PTR ?? []) out.answers.push(this.rr(owner, 'PTR', p));
        break;
      case 'NS':
        for (const n of data.NS ?? []) out.answers.push(this.rr(owner, 'NS', n));
        break;
      case 'TXT':
        if (data.TXT) out.answers.push({ name: owner, type: 'TXT', ttl: this.ttl, class: 'IN', data: data.TXT });
        break;
      case 'SOA':
        if (data.SOA) out.answers.push({ ...this.soa(), name: owner });
        break;
      case 'SRV': {
        const seen = new Set<string>();
        for (const s of data.SRV ?? []) {
          out.answers.push({ name: owner, type: 'SRV', ttl: this.ttl, class: 'IN', data: s });
          // The Additional section carries the targets' addresses, as the specification allows.
          if (seen.has(s.target)) continue;
          seen.add(s.target);
          const labels = labelsInZone(s.target, this.domain);
          const target = labels && this.nameData(labels);
          for (const t of ADDRESS_TYPES) for (const ip of target?.[t] ?? []) out.additionals.push(this.rr(s.target, t, ip));
        }
        break;
      }
    }
  }

  private rr(name: string, type: 'A' | 'AAAA' | 'CNAME' | 'PTR' | 'NS', data: string): RR {
    return { name, type, ttl: this.ttl, class: 'IN', data };
  }

  /** What exists at a name inside the zone (labels in front of the zone), undefined: nothing. */
  private nameData(labels: string[]): NameData | undefined {
    const n = labels.length;
    if (n === 0) return { SOA: true, NS: [`ns.dns.${this.domain}`] };
    const last = labels[n - 1];
    if (n === 1 && last === 'dns-version') return { TXT: [SCHEMA_VERSION] };
    if (last === 'dns') {
      if (n === 1) return {};
      if (n === 2 && labels[0] === 'ns') return this.addressesOf(this.kubeDnsIPs());
      return undefined;
    }
    if (last === 'svc') return this.serviceName(labels);
    if (last === 'pod') return this.podName(labels);
    return undefined;
  }

  private serviceName(labels: string[]): NameData | undefined {
    const n = labels.length;
    if (n === 1) return {};
    const ns = labels[n - 2]!;
    if (n === 2) return this.view.namespaceHasServices(ns) ? {} : undefined;
    const svc = this.view.service(ns, labels[n - 3]!);
    if (!svc) return undefined;
    const base = labels.slice(n - 3).join('.') + `.${this.domain}`;
    if (n === 3) return this.serviceData(svc, base);
    if (n === 4) {
      // `_tcp.<svc>…` is an empty non-terminal above the SRV names; anything else names an endpoint.
      if (labels[0]!.startsWith('_')) return PROTOCOLS.has(labels[0]!.slice(1)) && this.serviceData(svc, base) ? {} : undefined;
      if (!isHeadless(svc)) return undefined;
      const ep = this.readyEndpoints(svc).filter((e) => e.hostname === labels[0]);
      return ep.length ? this.addressesOf(ep.flatMap((e) => e.addresses)) : undefined;
    }
    if (n === 5 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
      const srv = this.srvFor(svc, base, labels[0]!.slice(1), labels[1]!.slice(1));
      return srv.length ? { SRV: srv } : undefined;
    }
    return undefined;
  }

  private serviceData(svc: Service, base: string): NameData | undefined {
    const spec = svc.spec ?? {};
    if (spec.type === 'ExternalName') return spec.externalName ? { CNAME: canonicalName(spec.externalName) } : undefined;
    if (isHeadless(svc)) {
      const eps = this.readyEndpoints(svc);
      // The specification: a headless Service with no ready endpoints does not exist (NXDOMAIN).
      if (!eps.length) return undefined;
      return { ...this.addressesOf(eps.flatMap((e) => e.addresses)), SRV: this.srvFor(svc, base) };
    }
    const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => ip !== 'None');
    return { ...this.addressesOf(ips), SRV: this.srvFor(svc, base) };
  }

  /** SRV records of the Service's named ports (all of them, or the one asked for by name and protocol). */
  private srvFor(svc: Service, base: string, portName?: string, proto?: string): SrvData[] {
    const ports = (svc.spec?.ports ?? []).filter(
      (p) => p.name && (portName === undefined || (p.name.toLowerCase() === portName && (p.protocol ?? 'TCP').toLowerCase() === proto)),
    );
    const out: { port: number; target: string }[] = [];
    if (!isHeadless(svc)) for (const p of ports) out.push({ port: p.port, target: base });
    else {
      for (const p of ports) {
        for (const { ep, port } of this.readyEndpointPorts(svc, p.name!, p.protocol ?? 'TCP', p.port)) out.push({ port, target: `${ep.hostname}.${base}` });
      }
    }
    const weight = out.length ? Math.max(1, Math.floor(100 / out.length)) : 0;
    return out.map((o) => ({ priority: 0, weight, ...o }));
  }

  private addressesOf(ips: string[]): NameData {
    const out: NameData = {};
    for (const ip of new Set(ips)) {
      const key = ipFamily(ip) === 6 ? 'AAAA' : ipFamily(ip) === 4 ? 'A' : undefined;
      if (key) (out[key] ??= []).push(ip);
    }
    return out;
  }

  private readyEndpoints(svc: Service): Endpoint[] {
    return this.readyEndpointPorts(svc).map((e) => e.ep);
  }

  /**
   * Ready endpoints of a Service (each once per hostname), with the port named `portName`
   * on their slice when one is asked for. Ready: conditions.ready not false, or the Service
   * publishes not-ready addresses.
   */
  private readyEndpointPorts(svc: Service, portName?: string, protocol?: string, fallbackPort?: number): { ep: Endpoint; port: number }[] {
    const m = svc.metadata!;
    const all = svc.spec?.publishNotReadyAddresses === true;
    const byHost = new Map<string, { ep: Endpoint; port: number }>();
    for (const slice of this.view.endpointSlices(m.namespace!, m.name!)) {
      let port = fallbackPort ?? 0;
      if (portName !== undefined) {
        const p = (slice.ports ?? []).find((sp) => (sp.name ?? '') === portName && (sp.protocol ?? 'TCP') === protocol);
        if (!p) continue;
        port = p.port ?? port;
      }
      for (const e of slice.endpoints ?? []) {
        if (!all && e.conditions?.ready === false) continue;
        const addresses = e.addresses.map(normalizeIP).filter((a): a is string => !!a);
        if (!addresses.length) continue;
        const hostname = (e.hostname ?? dashedIP(addresses[0]!)).toLowerCase();
        const have = byHost.get(hostname);
        if (have) have.ep.addresses.push(...addresses.filter((a) => !have.ep.addresses.includes(a)));
        else byHost.set(hostname, { ep: { hostname, addresses }, port });
      }
    }
    return [...byHost.values()];
  }

  private podName(labels: string[]): NameData | undefined {
    const n = labels.length;
    if (this.podRecords === 'disabled') return undefined;
    if (n <= 2) return {};
    if (n !== 3) return undefined;
    const ip = parseDashedIP(labels[0]!);
    if (!ip) return undefined;
    if (this.podRecords === 'verified' && !(this.view.podsWithIP?.(ip) ?? []).some((p) => p.metadata?.namespace === labels[1])) return undefined;
    return this.addressesOf([normalizeIP(ip)!]);
  }

  private kubeDnsIPs(): string[] {
    const svc = this.view.service('kube-system', 'kube-dns');
    return (svc?.spec?.clusterIPs ?? (svc?.spec?.clusterIP ? [svc.spec.clusterIP] : [])).filter((ip) => ip !== 'None');
  }

  /** PTR targets of a cluster address: Services by cluster IP, then headless Services' endpoints. */
  private reverse(name: string): NameData | undefined {
    const ip = addressOfReverseName(name);
    if (!ip) return undefined;
    const ptr: string[] = [];
    for (const svc of this.view.servicesWithIP(ip)) ptr.push(`${svc.metadata!.name}.${svc.metadata!.namespace}.svc.${this.domain}`);
    for (const slice of this.view.endpointSlicesWithIP(ip)) {
      const svcName = slice.metadata?.labels?.['kubernetes.io/service-name'];
      const ns = slice.metadata?.namespace;
      const svc = svcName && ns ? this.view.service(ns, svcName) : undefined;
      if (!svc || !isHeadless(svc)) continue;
      for (const e of slice.endpoints ?? []) {
        if (!e.addresses.some((a) => normalizeIP(a) === ip)) continue;
        if (e.conditions?.ready === false && !svc.spec?.publishNotReadyAddresses) continue;
        ptr.push(`${(e.hostname ?? dashedIP(ip)).toLowerCase()}.${svcName}.${ns}.svc.${this.domain}`);
      }
    }
    return ptr.length ? { PTR: [...new Set(ptr.map((p) => p.toLowerCase()))] } : undefined;
  }
}

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}
