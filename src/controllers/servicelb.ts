// LoadBalancer Services without a cloud, as k3s's ServiceLB: a Service of type LoadBalancer
// whose spec.loadBalancerClass is unset gets the InternalIPs of the Ready nodes as its
// status.loadBalancer.ingress, and every node's service proxy accepts traffic for the Service
// on those addresses at the service port. A Service with a class belongs to another
// implementation and is left alone.
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isConflict, isNotFound } from '../client/transport.js';
import { runWorkers, WorkQueue } from '../client/workqueue.js';
import type { Controller, ControllerContext } from './lib/context.js';

const isReady = (n: Node) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** The addresses every ServiceLB Service gets: Ready nodes' InternalIPs, sorted. */
export function loadBalancerAddresses(nodes: readonly Node[]): string[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    if (!isReady(n) || n.metadata?.deletionTimestamp) continue;
    for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && a.address) ips.add(a.address);
  }
  return [...ips].sort();
}

/** Whether ServiceLB owns this Service's load balancer status. */
export function servedByServiceLB(svc: Service): boolean {
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.loadBalancerClass;
}

export class ServiceLBController implements Controller {
  readonly name = 'servicelb';
  private readonly queue = new WorkQueue({ name: 'servicelb' });
  private readonly services: SharedInformer<Service>;
  private readonly nodes: SharedInformer<Node>;

  constructor(private readonly ctx: ControllerContext) {
    this.services = ctx.informers.informerFor(resources.services);
    this.nodes = ctx.informers.informerFor(resources.nodes);
    const enqueue = (s: Service) => this.queue.add(`${s.metadata!.namespace}/${s.metadata!.name}`);
    this.services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s) });
    const allLB = () => {
      for (const s of this.services.store.list()) if (servedByServiceLB(s)) enqueue(s);
    };
    this.nodes.addEventHandler({
      onAdd: allLB,
      onUpdate: (o, n) => {
        if (o !== n && loadBalancerAddresses([o]).join() !== loadBalancerAddresses([n]).join()) allLB();
      },
      onDelete: allLB,
    });
  }

  run(): Promise<void> {
    return runWorkers(this.queue, 2, (key) => this.sync(key), {
      onError: (key, err) => this.ctx.log.warn('sync failed', { service: key, error: (err as Error).message }),
    });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(name, namespace);
    if (!svc) return;
    const have = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
    let want: string[];
    if (servedByServiceLB(svc)) want = loadBalancerAddresses(this.nodes.store.list());
    // A Service that stopped being a LoadBalancer keeps no ingress; another class's is not ours.
    else if (svc.spec?.type !== 'LoadBalancer') want = [];
    else return;
    if (have.join(',') === want.join(',')) return;
    const status = { ...(svc.status ?? {}), loadBalancer: want.length ? { ingress: want.map((ip) => ({ ip })) } : {} };
    try {
      await this.ctx.client.services.updateStatus({ ...svc, status });
    } catch (err) {
      if (isNotFound(err)) return;
      // The cache was behind: the update event that follows brings this key back.
      if (isConflict(err)) return;
      throw err;
    }
  }
}

export const serviceLBController = (ctx: ControllerContext): Controller => new ServiceLBController(ctx);
