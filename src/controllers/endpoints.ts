// The Endpoints controller: for every Service with a selector, an Endpoints object of the
// same name listing the matching pods' addresses — ready ones under `addresses`, the rest
// under `notReadyAddresses` — with each service port resolved against the pod (numbered or
// named targetPort). Services without a selector are left to whoever manages them.
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromSpec } from '../api/selectors.js';
import { NAMESPACE_INDEX } from '../client/cache.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isAlreadyExists, isNotFound } from '../client/transport.js';
import type { ControllerContext, ControllerFactory } from './lib/context.js';
import { isPodReady } from './lib/pod-state.js';
import { QueueController } from './lib/queue-controller.js';

/** Services (keys) whose selector matches the pod. */
export function servicesForPod(services: SharedInformer<Service>, pod: Pod): string[] {
  const out: string[] = [];
  for (const svc of services.store.byIndex(NAMESPACE_INDEX, pod.metadata?.namespace ?? '')) {
    if (!svc.spec?.selector) continue;
    if (labelSelectorFromSpec({ matchLabels: svc.spec.selector }).matches(pod.metadata?.labels)) out.push(`${svc.metadata!.namespace}/${svc.metadata!.name}`);
  }
  return out;
}

/** Pod changes that can change an endpoint: address, readiness, labels, node, deletion, ports. */
export function podEndpointChanged(a: Pod, b: Pod): boolean {
  return (
    a.status?.podIP !== b.status?.podIP ||
    isPodReady(a) !== isPodReady(b) ||
    a.spec?.nodeName !== b.spec?.nodeName ||
    !!a.metadata?.deletionTimestamp !== !!b.metadata?.deletionTimestamp ||
    a.status?.phase !== b.status?.phase ||
    JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}) ||
    a.spec?.hostname !== b.spec?.hostname ||
    a.spec?.subdomain !== b.spec?.subdomain
  );
}

/**
 * podutil.FindPort: the container port a service port's targetPort names, or the number
 * itself; an unset targetPort means the service port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === (sp.protocol ?? 'TCP')) return p.containerPort;
  return undefined;
}

/** ShouldPodBeInEndpoints: has an IP, not finished, not being deleted unless asked. */
export function podBelongs(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP) return false;
  if (pod.status.phase === 'Failed' || pod.status.phase === 'Succeeded') return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export class EndpointsController extends QueueController {
  readonly name = 'endpoint';
  private readonly services: SharedInformer<Service>;
  private readonly pods: SharedInformer<Pod>;
  private readonly endpoints: SharedInformer<Endpoints>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 5, log: ctx.log, failure: 'sync failed', keyField: 'service' });
    this.services = ctx.informers.informerFor(resources.services);
    this.pods = ctx.informers.informerFor(resources.pods);
    this.endpoints = ctx.informers.informerFor(resources.endpoints);
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
    // Someone else changed or removed an Endpoints we manage: put it back.
    this.endpoints.addEventHandler({
      onDelete: (e) => this.queue.add(`${e.metadata!.namespace}/${e.metadata!.name}`),
    });
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(name, namespace);
    const current = this.endpoints.get(name, namespace);
    if (!svc) {
      // Only Endpoints this controller could have made; the kubernetes Service's are the apiserver's.
      if (current && !(namespace === 'default' && name === 'kubernetes')) {
        try {
          await this.ctx.client.endpoints.delete(name, { namespace });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return;
    }
    if (!svc.spec?.selector) return;
    const subsets = this.subsets(svc);
    const labels: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
    if (svc.spec.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    if (
      current &&
      JSON.stringify(current.subsets ?? []) === JSON.stringify(subsets) &&
      JSON.stringify(current.metadata?.labels ?? {}) === JSON.stringify(labels)
    )
      return;
    const body: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        namespace,
        labels,
        ...(current ? { resourceVersion: current.metadata!.resourceVersion, annotations: current.metadata?.annotations } : {}),
      },
      subsets,
    };
    if (!subsets.length) delete body.subsets;
    try {
      if (current) await this.ctx.client.endpoints.update(body);
      else await this.ctx.client.endpoints.create(body);
    } catch (err) {
      // The cache lagged our own earlier write; the next event brings the key back.
      if (isAlreadyExists(err)) this.queue.addAfter(key, 100);
      else throw err;
    }
  }

  private subsets(svc: Service): EndpointSubset[] {
    const selector = labelSelectorFromSpec({ matchLabels: svc.spec!.selector! });
    const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
    // One subset per distinct port list, as RepackSubsets groups them.
    const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
    for (const pod of this.pods.store.byIndex(NAMESPACE_INDEX, svc.metadata!.namespace!)) {
      if (!selector.matches(pod.metadata?.labels) || !podBelongs(pod, publishNotReady)) continue;
      const ports: EndpointPort[] = [];
      for (const sp of svc.spec!.ports ?? []) {
        const port = findPort(pod, sp);
        if (port === undefined) continue;
        ports.push({ ...(sp.name ? { name: sp.name } : {}), port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
      }
      if ((svc.spec!.ports ?? []).length && !ports.length) continue;
      ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
      const addr: EndpointAddress = {
        ip: pod.status!.podIP!,
        ...(pod.spec?.hostname && pod.spec.subdomain === svc.metadata!.name ? { hostname: pod.spec.hostname } : {}),
        ...(pod.spec?.nodeName ? { nodeName: pod.spec.nodeName } : {}),
        targetRef: { kind: 'Pod', namespace: pod.metadata!.namespace, name: pod.metadata!.name, uid: pod.metadata!.uid },
      };
      const k = JSON.stringify(ports);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { ports, ready: [], notReady: [] }));
      if (publishNotReady || isPodReady(pod)) g.ready.push(addr);
      else g.notReady.push(addr);
    }
    const byIp = (a: EndpointAddress, b: EndpointAddress) =>
      a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.name ?? '').localeCompare(b.targetRef?.name ?? '');
    return [...groups.values()]
      .sort((a, b) => JSON.stringify(a.ports).localeCompare(JSON.stringify(b.ports)))
      .map((g) => ({
        ...(g.ready.length ? { addresses: g.ready.sort(byIp) } : {}),
        ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIp) } : {}),
        ...(g.ports.length ? { ports: g.ports } : {}),
      }));
  }
}

export const endpointsController: ControllerFactory = (ctx) => new EndpointsController(ctx);
