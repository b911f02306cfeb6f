// The cluster as the DNS sees it: Services, EndpointSlices (and, for verified pod records,
// Pods) from shared informers, with indexes by Service and by address so that every
// question is answered from memory. `version` counts changes: the SOA serial, and the
// generation the server's answer cache is keyed on.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { SharedInformer } from '../client/informer.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import { normalizeIP } from './names.js';
import type { ClusterView } from './records.js';

const BY_SERVICE = 'dns/service';
const BY_IP = 'dns/ip';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface InformerClusterView extends ClusterView {
  services: SharedInformer<Service>;
  slices: SharedInformer<EndpointSlice>;
  pods?: SharedInformer<Pod>;
  /** Called after every change (the server drops its cached answers). */
  onChange(fn: () => void): void;
}

const ips = (list: (string | undefined)[]) => list.map((ip) => (ip ? normalizeIP(ip) : undefined)).filter((ip): ip is string => !!ip);

export function informerClusterView(factory: SharedInformerFactory, opts: { pods?: boolean } = {}): InformerClusterView {
  const services = factory.informerFor(resources.services);
  const slices = factory.informerFor(resources.endpointSlices);
  const pods = opts.pods ? factory.informerFor(resources.pods) : undefined;
  services.store.addIndexers({
    [BY_IP]: (s) => ips([...(s.spec?.clusterIPs ?? []), s.spec?.clusterIP].filter((ip) => ip !== 'None')).filter((v, i, a) => a.indexOf(v) === i),
  });
  slices.store.addIndexers({
    [BY_SERVICE]: (s) => {
      const name = s.metadata?.labels?.[SERVICE_NAME_LABEL];
      return name ? [`${s.metadata!.namespace}/${name}`] : [];
    },
    [BY_IP]: (s) => [...new Set(ips((s.endpoints ?? []).flatMap((e) => e.addresses)))],
  });
  pods?.store.addIndexers({ [BY_IP]: (p) => [...new Set(ips([p.status?.podIP, ...(p.status?.podIPs ?? []).map((i) => i.ip)]))] });

  let version = Math.floor(Date.now() / 1000);
  const listeners: (() => void)[] = [];
  const changed = () => {
    version++;
    for (const fn of listeners) fn();
  };
  const handlers = {
    onAdd: changed,
    onUpdate: (a: unknown, b: unknown) => {
      if (a !== b) changed();
    },
    onDelete: changed,
  };
  services.addEventHandler(handlers);
  slices.addEventHandler(handlers);
  pods?.addEventHandler(handlers);

  return {
    services,
    slices,
    pods,
    onChange: (fn) => listeners.push(fn),
    service: (namespace, name) => services.get(name, namespace),
    endpointSlices: (namespace, name) => slices.store.byIndex(BY_SERVICE, `${namespace}/${name}`),
    namespaceHasServices: (namespace) => services.store.indexKeys('namespace', namespace).length > 0,
    servicesWithIP: (ip) => services.store.byIndex(BY_IP, ip),
    endpointSlicesWithIP: (ip) => slices.store.byIndex(BY_IP, ip),
    podsWithIP: pods ? (ip) => pods.store.byIndex(BY_IP, ip) : undefined,
    serial: () => version,
  };
}
