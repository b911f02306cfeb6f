// The EndpointSlice controller: for every Service with a selector, EndpointSlices labelled
// kubernetes.io/service-name and owned by the Service, one group per distinct port list,
// at most 100 endpoints each, with each endpoint's ready/serving/terminating conditions,
// node and zone.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { labelSelectorFromSpec } from '../api/selectors.js';
import { NAMESPACE_INDEX } from '../client/cache.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { ControllerContext, ControllerFactory } from './lib/context.js';
import { controllerRefFor } from './lib/controller-ref.js';
import { QueueController } from './lib/queue-controller.js';
import { findPort, podBelongs, podEndpointChanged, servicesForPod } from './endpoints.js';
import { isPodReady } from './lib/pod-state.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SERVICE_INDEX = 'endpointslice-service';

const serviceIndex = (s: EndpointSlice): string[] => {
  const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc && s.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY ? [`${s.metadata!.namespace}/${svc}`] : [];
};

interface Desired {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

export class EndpointSliceController extends QueueController {
  readonly name = 'endpointslice';
  private readonly services: SharedInformer<Service>;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly slices: SharedInformer<EndpointSlice>;
  /** Our own writes per Service (slice name → resourceVersion) that the cache has yet to show. */
  private readonly written = new Map<string, { at: number; slices: Map<string, number> }>();

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 5, log: ctx.log, failure: 'sync failed', keyField: 'service' });
    this.services = ctx.informers.informerFor(resources.services);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.nodes = ctx.informers.informerFor(resources.nodes);
    this.slices = ctx.informers.informerFor(resources.endpointSlices);
    this.slices.addIndexers({ [SERVICE_INDEX]: serviceIndex });
    const svcKey = (s: Service) => this.queue.add(`${s.metadata!.namespace}/${s.metadata!.name}`);
    this.services.addEventHandler({ onAdd: svcKey, onUpdate: (_o, s) => svcKey(s), onDelete: svcKey });
    const podKeys = (p: Pod) =>
      servicesForPod(this.services, p).forEach((k) => {
        this.queue.add(k);
      });
    this.pods.addEventHandler({
      onAdd: podKeys,
      onUpdate: (o, p) => {
        if (!podEndpointChanged(o, p)) return;
        podKeys(p);
        if (JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(p.metadata?.labels ?? {})) podKeys(o);
      },
      onDelete: podKeys,
    });
    this.slices.addEventHandler({
      onDelete: (s) =>
        serviceIndex(s).forEach((k) => {
          this.queue.add(k);
        }),
    });
    // A node's zone label feeds the endpoints of pods on it.
    this.nodes.addEventHandler({
      onUpdate: (o, n) => {
        if (o.metadata?.labels?.[ZONE_LABEL] === n.metadata?.labels?.[ZONE_LABEL]) return;
        for (const p of this.pods.store.list()) if (p.spec?.nodeName === n.metadata!.name) podKeys(p);
      },
    });
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(name, namespace);
    const existing = this.slices.store.byIndex(SERVICE_INDEX, key);
    // A deleted Service's slices go with it through their ownerReference (garbage collector).
    if (!svc?.spec?.selector) {
      this.written.delete(key);
      return;
    }
    // Acting on a cache that lacks our last writes would create duplicate slices.
    if (!this.cacheCaughtUp(key, namespace)) {
      this.queue.addAfter(key, 50);
      return;
    }
    const desired = this.desired(svc);
    const unused = [...existing];
    const writes: Promise<unknown>[] = [];
    for (const want of desired) {
      const portsKey = JSON.stringify(want.ports);
      const i = unused.findIndex((s) => JSON.stringify(s.ports ?? []) === portsKey);
      const have = i >= 0 ? unused.splice(i, 1)[0] : undefined;
      const labels = { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
      if (have) {
        if (JSON.stringify(have.endpoints ?? []) === JSON.stringify(want.endpoints) && JSON.stringify(have.metadata?.labels ?? {}) === JSON.stringify(labels))
          continue;
        writes.push(this.ctx.client.endpointSlices.update({ ...have, metadata: { ...have.metadata, labels }, endpoints: want.endpoints, ports: want.ports }));
      } else {
        writes.push(
          this.ctx.client.endpointSlices.create({
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: { generateName: `${name}-`, namespace, labels, ownerReferences: [controllerRefFor({ ...svc, apiVersion: 'v1', kind: 'Service' })] },
            addressType: 'IPv4',
            endpoints: want.endpoints,
            ports: want.ports,
          }),
        );
      }
    }
    // Keep one (empty) slice for a Service with no endpoints, as Kubernetes does.
    if (!desired.length && unused.length) {
      const keep = unused.shift()!;
      if ((keep.endpoints ?? []).length) writes.push(this.ctx.client.endpointSlices.update({ ...keep, endpoints: [] }));
    } else if (!desired.length && !existing.length) {
      writes.push(
        this.ctx.client.endpointSlices.create({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            generateName: `${name}-`,
            namespace,
            labels: { ...(svc.metadata?.labels ?? {}), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY },
            ownerReferences: [controllerRefFor({ ...svc, apiVersion: 'v1', kind: 'Service' })],
          },
          addressType: 'IPv4',
          endpoints: [],
          ports: [],
        }),
      );
    }
    const deletes: Promise<unknown>[] = [];
    for (const s of unused)
      deletes.push(this.ctx.client.endpointSlices.delete(s.metadata!.name!, { namespace }).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))));
    const results = await Promise.allSettled(writes);
    const deleted = await Promise.allSettled(deletes);
    const mine = new Map<string, number>();
    for (const r of results)
      if (r.status === 'fulfilled' && r.value && (r.value as EndpointSlice).kind === 'EndpointSlice' && !(r.value as EndpointSlice).metadata?.deletionTimestamp)
        mine.set((r.value as EndpointSlice).metadata!.name!, Number((r.value as EndpointSlice).metadata!.resourceVersion));
    if (mine.size) this.written.set(key, { at: Date.now(), slices: mine });
    else this.written.delete(key);
    const failed = [...results, ...deleted].find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  }

  private cacheCaughtUp(key: string, namespace: string): boolean {
    const mine = this.written.get(key);
    // A slice someone else removed meanwhile never shows up: stop waiting after a while.
    if (!mine || Date.now() - mine.at > 5000) return true;
    for (const [name, rv] of mine.slices) {
      const cached = this.slices.get(name, namespace);
      if (!cached || Number(cached.metadata?.resourceVersion) < rv) return false;
    }
    this.written.delete(key);
    return true;
  }

  private desired(svc: Service): Desired[] {
    const selector = labelSelectorFromSpec({ matchLabels: svc.spec!.selector! });
    const groups = new Map<string, Desired>();
    const pods = this.pods.store
      .byIndex(NAMESPACE_INDEX, svc.metadata!.namespace!)
      .filter((p) => selector.matches(p.metadata?.labels) && podBelongs(p, true))
      .sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
    for (const pod of pods) {
      const ports: EndpointPort[] = [];
      for (const sp of svc.spec!.ports ?? []) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
      }
      if ((svc.spec!.ports ?? []).length && !ports.length) continue;
      const ready = isPodReady(pod);
      const terminating = !!pod.metadata?.deletionTimestamp;
      const zone = pod.spec?.nodeName ? this.nodes.get(pod.spec.nodeName)?.metadata?.labels?.[ZONE_LABEL] : undefined;
      const ep: Endpoint = {
        addresses: [pod.status!.podIP!],
        conditions: { ready: (svc.spec?.publishNotReadyAddresses || ready) && !terminating, serving: ready, terminating },
        ...(pod.spec?.hostname && pod.spec.subdomain === svc.metadata!.name ? { hostname: pod.spec.hostname } : {}),
        targetRef: { kind: 'Pod', namespace: pod.metadata!.namespace, name: pod.metadata!.name, uid: pod.metadata!.uid },
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        ...(zone ? { zone } : {}),
      };
      const k = JSON.stringify(ports);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { ports, endpoints: [] }));
      g.endpoints.push(ep);
    }
    const out: Desired[] = [];
    for (const g of groups.values())
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE)
        out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
    return out;
  }
}

export const endpointSliceController: ControllerFactory = (ctx) => new EndpointSliceController(ctx);
