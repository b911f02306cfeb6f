// Service IP and node port allocation, as kube-apiserver's service REST does on create:
// a free cluster IP from --service-cidr unless the client chose one (or "None"), and a
// free node port (30000-32767) for every port of a NodePort or LoadBalancer Service.
// The used sets are read from the watch cache; a short in-process reservation covers
// concurrent creates that the cache has not seen yet, and is dropped when its Service is
// deleted, so a Service re-created at once with the same clusterIP/nodePort gets them back.
import type { KObject, ResourceDef } from '../../api/types.js';
import { errors } from '../status.js';
import type { AdmissionHook } from '../rest/resource-store.js';
import type { WatchCache } from '../watch-cache.js';

const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;
const RESERVATION_MS = 10_000;

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class ServiceAllocator {
  private readonly base: number;
  private readonly size: number;
  /** ip or port → when its reservation expires and which Service ("ns/name") holds it. */
  private readonly reserved = new Map<string, { until: number; owner: string }>();

  constructor(
    private readonly cache: WatchCache,
    serviceCIDR: string,
  ) {
    const [addr, bits] = serviceCIDR.split('/');
    const prefix = Number(bits);
    if (!addr || !/^\d+\.\d+\.\d+\.\d+$/.test(addr) || !(prefix >= 8 && prefix <= 30))
      throw new Error(`invalid --service-cidr ${serviceCIDR}: an IPv4 CIDR between /8 and /30 is required`);
    this.size = 2 ** (32 - prefix);
    this.base = ipToInt(addr) - (ipToInt(addr) % this.size);
  }

  /** The `kubernetes` Service's address: the first usable IP of the range. */
  get firstIP(): string {
    return intToIp(this.base + 1);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n > this.base && n < this.base + this.size - 1;
  }

  private inUse(): { ips: Set<string>; ports: Set<number> } {
    const ips = new Set<string>();
    const ports = new Set<number>();
    const { keys, objects } = this.cache.list('/registry/services/', '/registry/services/');
    for (const k of keys) {
      const spec = objects.get(k)!.spec ?? {};
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) ips.add(ip);
      for (const p of spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    const now = Date.now();
    for (const [k, { until }] of this.reserved) {
      if (until < now) this.reserved.delete(k);
      else if (k.includes('.')) ips.add(k);
      else ports.add(Number(k));
    }
    return { ips, ports };
  }

  private reserve(key: string, owner: string): void {
    this.reserved.set(key, { until: Date.now() + RESERVATION_MS, owner });
  }

  /** A deleted Service's addresses are free again once the store no longer holds it. */
  private release(owner: string): void {
    for (const [k, r] of this.reserved) if (r.owner === owner) this.reserved.delete(k);
  }

  /** The used sets; when `wanted` looks taken, read again after the cache caught up (a delete may have just landed). */
  private async inUseFor(wanted: { ip?: string; ports: number[] }): Promise<{ ips: Set<string>; ports: Set<number> }> {
    const used = this.inUse();
    const taken = (u: typeof used) => (wanted.ip !== undefined && u.ips.has(wanted.ip)) || wanted.ports.some((p) => u.ports.has(p));
    if (!taken(used)) return used;
    await this.cache.sync();
    return this.inUse();
  }

  allocateIP(used: Set<string>): string {
    const usable = this.size - 2;
    const start = Math.floor(Math.random() * usable);
    for (let i = 0; i < usable; i++) {
      const ip = intToIp(this.base + 1 + ((start + i) % usable));
      if (!used.has(ip)) return ip;
    }
    throw errors.internal(new Error('failed to allocate a service IP: range is full'));
  }

  allocatePort(used: Set<number>): number {
    const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = NODE_PORT_MIN + ((start + i) % span);
      if (!used.has(port)) return port;
    }
    throw errors.internal(new Error('failed to allocate a node port: range is full'));
  }

  /** Admission hook: fills clusterIP(s) and nodePorts on create, checks requested ones. */
  hook(): AdmissionHook {
    // Synchronous (no promise) for everything but Services.
    return (op, def: ResourceDef, obj: KObject, old?: KObject) => {
      if (def.group !== '' || def.plural !== 'services') return;
      return this.admitService(op, obj, old);
    };
  }

  private async admitService(op: 'create' | 'update' | 'delete', obj: KObject, old?: KObject): Promise<void> {
    const owner = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    if (op === 'delete') return this.release(owner);
    if (op !== 'create' && op !== 'update') return;
    const spec = (obj.spec ??= {});
    const name = obj.metadata?.name ?? '';
    const oldNodePorts = new Set<number>((old?.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
    const newNodePorts = ((spec.ports ?? []) as any[]).map((p) => p.nodePort).filter((n): n is number => typeof n === 'number' && !oldNodePorts.has(n));
    const wantedIP = op === 'create' && spec.clusterIP && spec.clusterIP !== 'None' ? (spec.clusterIP as string) : undefined;
    const { ips, ports } = await this.inUseFor({ ip: wantedIP, ports: newNodePorts });
    if (spec.type !== 'ExternalName') {
      if (old?.spec?.clusterIP && (!spec.clusterIP || spec.clusterIP === old.spec.clusterIP)) {
        spec.clusterIP = old.spec.clusterIP;
      } else if (!spec.clusterIP) {
        spec.clusterIP = this.allocateIP(ips);
      } else if (spec.clusterIP !== 'None' && op === 'create') {
        if (!this.contains(spec.clusterIP))
          throw errors.invalid('', 'Service', name, [
            {
              type: 'FieldValueInvalid',
              field: 'spec.clusterIPs',
              message: `Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${intToIp(this.base)}/${32 - Math.log2(this.size)}`,
            },
          ]);
        if (ips.has(spec.clusterIP))
          throw errors.invalid('', 'Service', name, [
            {
              type: 'FieldValueInvalid',
              field: 'spec.clusterIPs',
              message: `Invalid value: ["${spec.clusterIP}"]: failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`,
            },
          ]);
      }
      spec.clusterIPs = [spec.clusterIP];
      if (spec.clusterIP !== 'None') this.reserve(spec.clusterIP, owner);
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      const oldPorts = new Map<string, number>((old?.spec?.ports ?? []).map((p: any) => [`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort]));
      for (const [i, p] of (spec.ports ?? []).entries()) {
        const kept = oldPorts.get(`${p.port}/${p.protocol ?? 'TCP'}`);
        if (!p.nodePort && kept) p.nodePort = kept;
        else if (p.nodePort && !oldNodePorts.has(p.nodePort) && ports.has(p.nodePort))
          throw errors.invalid('', 'Service', name, [
            { type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: provided port is already allocated` },
          ]);
        if (!p.nodePort) {
          p.nodePort = this.allocatePort(ports);
          ports.add(p.nodePort);
        }
        ports.add(p.nodePort);
        this.reserve(String(p.nodePort), owner);
      }
    } else {
      for (const p of spec.ports ?? []) delete p.nodePort;
    }
  }
}
