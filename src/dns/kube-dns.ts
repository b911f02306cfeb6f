// How pods reach the DNS: the `kube-system/kube-dns` Service (cluster IP --cluster-dns, no
// selector, internalTrafficPolicy Local so each query stays on its node), kept by the
// server; and one EndpointSlice per node, `kube-dns-<node>`, written by that node's DNS
// with its own listener's address and ports, owned by its Node object so that the
// garbage collector removes it with the node.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE, nodeDnsSliceName } from '../api/certificates/agent-components.js';
import type { Client } from '../client/client.js';
import { SharedInformer } from '../client/informer.js';
import { isAlreadyExists, isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';

export const MANAGED_BY = 'skiff-dns';
const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function kubeDnsService(clusterIP: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS_SERVICE,
      namespace: KUBE_DNS_NAMESPACE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'SkiffDNS' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      clusterIPs: [clusterIP],
      // No selector: each node's DNS publishes its own endpoint (registerNodeEndpoint).
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
      internalTrafficPolicy: 'Local',
    },
  };
}

interface Stoppable {
  stop(): Promise<void>;
}

/** Keeps the kube-dns Service in place: created when missing, again when deleted. */
export function keepKubeDnsService(client: Client, clusterIP: string, log: Logger): Stoppable {
  const informer = new SharedInformer(client.services, {
    namespace: KUBE_DNS_NAMESPACE,
    fieldSelector: `metadata.name=${KUBE_DNS_SERVICE}`,
    onError: () => {},
  });
  let creating: Promise<void> | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const ensure = () => {
    if (stopped || creating || informer.get(KUBE_DNS_SERVICE, KUBE_DNS_NAMESPACE)) return;
    creating = client.services
      .create(kubeDnsService(clusterIP))
      .then(
        () => log.info('created the kube-dns Service', { clusterIP }),
        (err: Error) => {
          if (isAlreadyExists(err)) return;
          log.error('could not create the kube-dns Service; retrying', { clusterIP, error: err.message });
          if (!stopped) retry = setTimeout(ensure, 2000);
        },
      )
      .finally(() => {
        creating = undefined;
      });
  };
  informer.addEventHandler({
    onAdd: (svc) => {
      if (svc.spec?.clusterIP !== clusterIP)
        log.warn('the kube-dns Service has another cluster IP than --cluster-dns: pods are told to use --cluster-dns', {
          clusterIP: svc.spec?.clusterIP,
          clusterDns: clusterIP,
        });
    },
    onDelete: () => ensure(),
  });
  informer.start();
  void informer.waitForSync().then(ensure, () => {});
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      informer.stop();
      await creating;
    },
  };
}

export interface NodeEndpointOptions {
  client: Client;
  nodeName: string;
  /** The listener's addresses (one family: the first address's). */
  addresses: string[];
  port: number;
  metricsPort: number;
  log: Logger;
}

const nodeSliceName = nodeDnsSliceName;

/** The EndpointSlice that sends this node's share of kube-dns traffic to its own listener. */
export function nodeEndpointSlice(o: Omit<NodeEndpointOptions, 'client' | 'log'>, nodeUid?: string): EndpointSlice {
  const v6 = o.addresses[0]?.includes(':') ?? false;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: nodeSliceName(o.nodeName),
      namespace: KUBE_DNS_NAMESPACE,
      labels: { [SERVICE_NAME_LABEL]: KUBE_DNS_SERVICE, [MANAGED_BY_LABEL]: MANAGED_BY, 'k8s-app': 'kube-dns' },
      ...(nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: o.nodeName, uid: nodeUid }] } : {}),
    },
    addressType: v6 ? 'IPv6' : 'IPv4',
    endpoints: [
      {
        addresses: o.addresses.filter((a) => a.includes(':') === v6),
        nodeName: o.nodeName,
        conditions: { ready: true, serving: true, terminating: false },
      },
    ],
    ports: [
      { name: 'dns', port: o.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: o.port, protocol: 'TCP' },
      { name: 'metrics', port: o.metricsPort, protocol: 'TCP' },
    ],
  };
}

/** What this node writes into its slice; fields the apiserver defaults are left out, so a write never chases itself. */
function sliceFingerprint(s: EndpointSlice): string {
  return JSON.stringify([
    s.addressType,
    (s.endpoints ?? []).map((e) => [e.addresses, e.nodeName, e.conditions?.ready]),
    (s.ports ?? []).map((p) => [p.name, p.port, p.protocol]),
    (s.metadata?.ownerReferences ?? []).map((r) => r.uid),
    s.metadata?.labels?.[SERVICE_NAME_LABEL],
  ]);
}

/** Publishes this node's listener and keeps the slice as it should be; stop() withdraws it. */
export function registerNodeEndpoint(o: NodeEndpointOptions): Stoppable {
  const name = nodeSliceName(o.nodeName);
  // Endpoints may not be loopback addresses (no pod could reach them): nothing to publish.
  if (o.addresses.every((a) => /^127\./.test(a) || a === '::1')) {
    o.log.warn('the DNS listens on a loopback address only: not published in the kube-dns EndpointSlices (pods cannot reach it)', { addresses: o.addresses });
    return { stop: async () => {} };
  }
  const informer = new SharedInformer(o.client.endpointSlices, { namespace: KUBE_DNS_NAMESPACE, fieldSelector: `metadata.name=${name}`, onError: () => {} });
  let stopped = false;
  let running: Promise<void> | undefined;
  let retry: NodeJS.Timeout | undefined;
  const reconcile = async () => {
    let uid: string | undefined;
    try {
      uid = (await o.client.nodes.get(o.nodeName)).metadata?.uid;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // No Node, no slice: it would have no owner to go with (the garbage collector removes it
    // when the Node is deleted; it comes back when the node registers again).
    if (!uid) throw new Error(`node ${o.nodeName} is not registered`);
    const want = nodeEndpointSlice(o, uid);
    const have = informer.get(name, KUBE_DNS_NAMESPACE);
    if (!have) {
      await o.client.endpointSlices.create(want).catch((err) => {
        if (!isAlreadyExists(err)) throw err;
      });
      o.log.info("published this node's DNS listener in the kube-dns EndpointSlices", { slice: name, addresses: o.addresses, port: o.port });
    } else if (sliceFingerprint(have) !== sliceFingerprint(want)) {
      await o.client.endpointSlices.update({ ...want, metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion } });
    }
  };
  const kick = () => {
    if (stopped || running) return;
    clearTimeout(retry);
    running = reconcile()
      .catch((err: Error) => {
        if (!stopped) retry = setTimeout(kick, 2000);
        if (!/is not registered$/.test(err.message)) o.log.warn('could not publish the DNS endpoint; retrying', { slice: name, error: err.message });
      })
      .finally(() => {
        running = undefined;
      });
  };
  informer.addEventHandler({ onUpdate: () => kick(), onDelete: () => kick() });
  informer.start();
  void informer.waitForSync().then(kick, () => {});
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      informer.stop();
      await running;
      await o.client.endpointSlices.delete(name, { namespace: KUBE_DNS_NAMESPACE }).catch(() => {});
    },
  };
}
