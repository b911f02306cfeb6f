// Node IPAM (Kubernetes' range allocator): every node gets its own pod CIDR, a /24 by
// default, carved from --cluster-cidr. The allocator's picture of what is taken is
// rebuilt from the nodes themselves, so a restart loses nothing.
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';
import type { ControllerFactory } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';
import type { EventRecorder } from '../client/event-recorder.js';

export const DEFAULT_CLUSTER_CIDR = '10.42.0.0/16';

function ipToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

const intToIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** The pod CIDRs of a cluster CIDR: subnet `i` is `cidrAt(i)`. */
export class CidrSet {
  readonly base: number;
  readonly count: number;
  private readonly used = new Set<number>();
  private next = 0;

  constructor(
    readonly clusterCIDR: string,
    readonly maskSize: number,
  ) {
    const [ip, bits] = clusterCIDR.split('/');
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`invalid cluster CIDR ${clusterCIDR}`);
    if (maskSize < prefix || maskSize > 30) throw new Error(`node CIDR mask size ${maskSize} does not fit cluster CIDR ${clusterCIDR}`);
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    this.base = (ipToInt(ip!) & mask) >>> 0;
    this.count = 2 ** (maskSize - prefix);
  }

  cidrAt(i: number): string {
    return `${intToIp(this.base + i * 2 ** (32 - this.maskSize))}/${this.maskSize}`;
  }

  /** The subnet index of a CIDR, if it is one of this set's. */
  indexOf(cidr: string): number | undefined {
    const [ip, bits] = cidr.split('/');
    if (Number(bits) !== this.maskSize) return undefined;
    let n: number;
    try {
      n = ipToInt(ip!);
    } catch {
      return undefined;
    }
    const off = n - this.base;
    const size = 2 ** (32 - this.maskSize);
    if (off < 0 || off % size !== 0 || off / size >= this.count) return undefined;
    return off / size;
  }

  occupy(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.add(i);
  }

  release(cidr: string): void {
    const i = this.indexOf(cidr);
    if (i !== undefined) this.used.delete(i);
  }

  allocate(): string | undefined {
    if (this.used.size >= this.count) return undefined;
    for (let k = 0; k < this.count; k++) {
      const i = (this.next + k) % this.count;
      if (!this.used.has(i)) {
        this.used.add(i);
        this.next = (i + 1) % this.count;
        return this.cidrAt(i);
      }
    }
    return undefined;
  }
}

export class NodeIpamController extends QueueController {
  readonly name = 'node-ipam';
  private readonly cidrs: CidrSet;
  /** CIDRs handed out but not yet seen on the node in the cache. */
  private readonly pending = new Map<string, string>();
  /** Nodes already told that no CIDR is left (told once, not every retry). */
  private readonly exhaustedFor = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly informers: SharedInformerFactory,
    private readonly recorder: EventRecorder,
    private readonly log: Logger,
    clusterCIDR = DEFAULT_CLUSTER_CIDR,
    maskSize = 24,
  ) {
    super({ workers: 1, log, failure: 'pod CIDR not assigned', keyField: 'node' });
    const prefix = Number(clusterCIDR.split('/')[1]);
    this.cidrs = new CidrSet(clusterCIDR, Math.max(maskSize, prefix));
    const inf = informers.informerFor(resources.nodes);
    inf.addEventHandler({
      onAdd: (n) => this.observe(n),
      onUpdate: (_o, n) => this.observe(n),
      onDelete: (n) => {
        for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) this.cidrs.release(c);
        const p = this.pending.get(n.metadata!.name!);
        if (p) this.cidrs.release(p);
        this.pending.delete(n.metadata!.name!);
        this.exhaustedFor.delete(n.metadata!.name!);
      },
    });
  }

  private observe(n: Node): void {
    const name = n.metadata!.name!;
    if (n.spec?.podCIDR) {
      this.cidrs.occupy(n.spec.podCIDR);
      const p = this.pending.get(name);
      if (p && p !== n.spec.podCIDR) this.cidrs.release(p);
      this.pending.delete(name);
      return;
    }
    this.queue.add(name);
  }

  async reconcile(name: string): Promise<void> {
    const node = this.informers.informerFor(resources.nodes).store.get(name);
    if (!node || node.spec?.podCIDR) return;
    let cidr = this.pending.get(name);
    if (!cidr) {
      cidr = this.cidrs.allocate();
      if (!cidr) {
        if (!this.exhaustedFor.has(name)) {
          this.exhaustedFor.add(name);
          this.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
          this.log.warn('no pod CIDR left for node; widen --cluster-cidr', { node: name, clusterCIDR: this.cidrs.clusterCIDR, nodeCIDRs: this.cidrs.count });
        }
        // A node deleted elsewhere frees a CIDR; look again now and then.
        this.queue.addAfter(name, 60_000);
        return;
      }
      this.exhaustedFor.delete(name);
      this.pending.set(name, cidr);
    }
    try {
      await this.client.nodes.patch(name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge');
    } catch (err) {
      if (isNotFound(err)) {
        this.cidrs.release(cidr);
        this.pending.delete(name);
        return;
      }
      throw err;
    }
  }
}

export const nodeIpamController: ControllerFactory = (ctx) =>
  new NodeIpamController(ctx.client, ctx.informers, ctx.recorder('node-controller'), ctx.log, ctx.settings?.clusterCIDR, ctx.settings?.nodeCIDRMaskSize);
