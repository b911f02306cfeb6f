// Skiff's built-in ingress controller, one per node: informers on Ingresses, Services,
// EndpointSlices and Secrets feed a route table and certificate store that the listeners read
// on every request. Configuration is data: a change swaps the table, nothing restarts.
import type { Ingress } from 'kubernetes-types/networking/v1.js';
import type { Client } from '../client/client.js';
import { ClientEventRecorder } from '../client/event-recorder.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { resources } from '../client/resources.js';
import type { Logger } from '../util/log.js';
import { selfSignedServingCert } from '../util/x509-jobs.js';
import { ActiveHealthChecker, checksOf } from './active-health.js';
import { ANNOTATION_LOAD_BALANCE, POLICIES, parsePolicy } from './balance.js';
import { CertStore } from './certs.js';
import { EndpointPicker, type HealthOptions } from './endpoints.js';
import { DEFAULT_TIMEOUTS, type ForwardContext, type Timeouts } from './forward.js';
import { INGRESS_CLASS_NAME, servedByUs } from './ingress-class.js';
import { DEFAULT_LIMITS, openHttp, openHttps, type ListenerLimits } from './listeners.js';
import { L4_NAMESPACE, L4Proxy, parseL4Data, TCP_CONFIGMAP, UDP_CONFIGMAP } from './l4.js';
import { IngressMetrics } from './metrics.js';
import { RouteTable } from './route-table.js';
import { IngressStatusWriter } from './status.js';
import { loadUndici, UpstreamPool } from './upstream-client.js';

export { RouteTable } from './route-table.js';

export interface IngressOptions {
  client: Client;
  nodeName: string;
  /** Addresses to listen on. */
  nodeIPs: string[];
  /** Addresses written to status.loadBalancer.ingress; default nodeIPs. */
  statusIPs?: string[];
  httpPort: number;
  /** undefined: no HTTPS listener. */
  httpsPort?: number;
  log: Logger;
  informers?: SharedInformerFactory;
  timeouts?: Partial<Timeouts>;
  limits?: Partial<ListenerLimits>;
  health?: Partial<HealthOptions>;
  /** Port of the /metrics listener on 127.0.0.1 (0: a free one); undefined: none. */
  metricsPort?: number;
  /** Write status.loadBalancer.ingress (default true). */
  writeStatus?: boolean;
  /**
   * Read Ingresses' TLS Secrets (default true). A joined agent acts with its node's
   * credentials, which may read only its own pods' Secrets: its ingress serves TLS hosts
   * with the default certificate instead.
   */
  tlsSecrets?: boolean;
}

export interface IngressController {
  /** Where it listens: one entry per address and protocol, with the bound port. */
  readonly listening: { proto: 'http' | 'https'; address: string; port: number }[];
  /** Port of the /metrics listener on 127.0.0.1, if one runs. */
  readonly metricsPort: number | undefined;
  table(): RouteTable;
  stop(): Promise<void>;
}

const sliceIndex = 'ingress-service';

export async function startIngress(o: IngressOptions): Promise<IngressController> {
  const log = o.log;
  const ownInformers = !o.informers;
  const informers = o.informers ?? new SharedInformerFactory(o.client);
  const ingresses = informers.informerFor(resources.ingresses);
  const services = informers.informerFor(resources.services);
  const slices = informers.informerFor(resources.endpointSlices);
  const secrets = o.tlsSecrets === false ? undefined : informers.informerFor(resources.secrets);
  const configMaps = informers.informerFor(resources.configMaps);
  slices.addIndexers({
    [sliceIndex]: (s) => {
      const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
      return svc ? [`${s.metadata?.namespace}/${svc}`] : [];
    },
  });
  const picker = new EndpointPicker(
    {
      service: (ns, name) => services.get(name, ns),
      slices: (ns, svc) => slices.store.byIndex(sliceIndex, `${ns}/${svc}`),
    },
    o.health,
  );
  const defaultCert = await selfSignedServingCert('skiff-ingress-default', { hostnames: ['ingress.skiff.local'] });
  const checker = new ActiveHealthChecker(picker, log.child('health'));
  const certs = new CertStore(defaultCert, (ns, name) => secrets?.get(name, ns));
  const recorder = new ClientEventRecorder(o.client, 'skiff-ingress', log.child('events'), o.nodeName);
  const status = o.writeStatus === false ? undefined : new IngressStatusWriter(o.client, o.statusIPs ?? o.nodeIPs, log);
  let table = RouteTable.build([]);
  const reported = new Set<string>();
  // Watch order follows creation order: it ranks Ingresses created in the same second.
  const firstSeen = new Map<string, number>();
  const seen = (ing: Ingress) => firstSeen.get(ing.metadata?.uid ?? '') ?? Number.MAX_SAFE_INTEGER;

  const rebuild = () => {
    const all = ingresses.store.list();
    const ours = all.filter(servedByUs);
    if (ours.length) void loadUndici().catch((err: Error) => log.error('upstream client did not load', { error: err.message }));
    const next = RouteTable.build(ours, seen);
    const problems = next.problems.map((p) => ({ ing: p.ingress, reason: p.reason, message: p.message }));
    for (const ing of ours) {
      const ns = ing.metadata?.namespace ?? 'default';
      const names = new Set([
        ing.spec?.defaultBackend?.service?.name,
        ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend?.service?.name)),
      ]);
      for (const n of names)
        if (n && !services.get(n, ns))
          problems.push({ ing, reason: 'ServiceNotFound', message: `backend Service ${ns}/${n} does not exist; its requests are answered 503` });
    }
    for (const ing of ours) {
      const v = ing.metadata?.annotations?.[ANNOTATION_LOAD_BALANCE];
      if (v !== undefined && !parsePolicy(v))
        problems.push({
          ing,
          reason: 'InvalidAnnotation',
          message: `${ANNOTATION_LOAD_BALANCE}: ${JSON.stringify(v)} is none of ${POLICIES.join(', ')}; round-robin is used`,
        });
    }
    const active = checksOf(ours);
    for (const p of active.problems) problems.push({ ing: p.ing, reason: 'InvalidHealthCheck', message: p.message });
    checker.update(active.checks);
    const tlsOwner = new Map<string, Ingress>();
    for (const ing of ours) for (const t of ing.spec?.tls ?? []) if (t.secretName) tlsOwner.set(`${ing.metadata?.namespace ?? 'default'}/${t.secretName}`, ing);
    for (const p of certs.update(next.tlsSecrets)) {
      const ing = tlsOwner.get(p.secret);
      if (ing) problems.push({ ing, reason: 'InvalidTLSSecret', message: p.message });
    }
    table = next;
    for (const p of problems) {
      const key = `${p.ing.metadata?.uid}\u0000${p.reason}\u0000${p.message}`;
      if (reported.has(key)) continue;
      reported.add(key);
      log.warn('ingress problem', { ingress: `${p.ing.metadata?.namespace}/${p.ing.metadata?.name}`, reason: p.reason, message: p.message });
      recorder.event(p.ing, 'Warning', p.reason, p.message);
    }
    status?.sync(all, next.served);
  };
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      try {
        rebuild();
      } catch (err) {
        log.error('ingress route table rebuild failed', { error: (err as Error).message });
      }
    });
  };
  const onAny = { onAdd: schedule, onUpdate: schedule, onDelete: schedule };
  ingresses.addEventHandler({
    ...onAny,
    onAdd: (ing) => {
      const uid = ing.metadata?.uid ?? '';
      if (!firstSeen.has(uid)) firstSeen.set(uid, firstSeen.size);
      schedule();
    },
    onDelete: (ing) => {
      firstSeen.delete(ing.metadata?.uid ?? '');
      schedule();
    },
  });
  secrets?.addEventHandler(onAny);
  // Services only matter for the "does not exist" Event; requests read them directly.
  services.addEventHandler({ onAdd: schedule, onDelete: schedule });
  informers.start();
  await informers.waitForSync();
  rebuild();

  const metrics = new IngressMetrics(log.child('access'));
  const timeouts = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const upstreams = new UpstreamPool();
  const ctx: ForwardContext = {
    table: () => table,
    picker,
    upstreams,
    timeouts,
    httpsPort: o.httpsPort,
    onDone: (r) => metrics.record({ ...r, ingress: r.route?.ingress, service: r.route && `${r.route.backend.namespace}/${r.route.backend.service}` }),
    onConnection: (c) => metrics.connection(c),
  };
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  const opened: Awaited<ReturnType<typeof openHttp>>[] = [];
  try {
    for (const address of o.nodeIPs) {
      opened.push(await openHttp(ctx, address, o.httpPort, limits));
      if (o.httpsPort !== undefined) opened.push(await openHttps(ctx, certs, address, o.httpsPort, limits));
    }
  } catch (err) {
    await Promise.all(opened.map((l) => l.close()));
    if (ownInformers) informers.stop();
    throw new Error(`ingress cannot listen: ${(err as Error).message}`);
  }
  let metricsServer: Awaited<ReturnType<IngressMetrics['serve']>> | undefined;
  if (o.metricsPort !== undefined) {
    try {
      metricsServer = await metrics.serve('127.0.0.1', o.metricsPort, log);
    } catch (err) {
      // Metrics are an aid: a taken port leaves the ingress running without them.
      log.warn('ingress metrics listener cannot open; running without /metrics', { port: o.metricsPort, error: (err as Error).message });
    }
  }
  const l4 = new L4Proxy(picker, o.nodeIPs, log.child('l4'), (c) => metrics.connection(c));
  const applyL4 = (protocol: 'TCP' | 'UDP', name: string) => {
    const cm = configMaps.get(name, L4_NAMESPACE);
    const { entries, problems } = parseL4Data(cm?.data);
    for (const p of problems) {
      const key = `${cm?.metadata?.uid}\u0000${p}`;
      if (reported.has(key) || !cm) continue;
      reported.add(key);
      log.warn('ingress ConfigMap entry skipped', { configMap: `${L4_NAMESPACE}/${name}`, problem: p });
      recorder.event(cm, 'Warning', 'InvalidEntry', p);
    }
    void l4.apply(protocol, entries);
  };
  const onConfigMap = (cm: { metadata?: { namespace?: string; name?: string } }) => {
    if (cm.metadata?.namespace !== L4_NAMESPACE) return;
    if (cm.metadata.name === TCP_CONFIGMAP) applyL4('TCP', TCP_CONFIGMAP);
    if (cm.metadata.name === UDP_CONFIGMAP) applyL4('UDP', UDP_CONFIGMAP);
  };
  configMaps.addEventHandler({ onAdd: onConfigMap, onUpdate: (_old, cm) => onConfigMap(cm), onDelete: onConfigMap });
  applyL4('TCP', TCP_CONFIGMAP);
  applyL4('UDP', UDP_CONFIGMAP);
  // With port 0 each listener has its own port; redirects name the first HTTPS one.
  ctx.httpsPort = opened.find((l) => l.proto === 'https')?.port;
  const listening = opened.map(({ proto, address, port }) => ({ proto, address, port }));
  log.info('ingress controller listening', { class: INGRESS_CLASS_NAME, listening, metricsPort: metricsServer?.port });
  return {
    listening,
    metricsPort: metricsServer?.port,
    table: () => table,
    async stop() {
      await Promise.all(opened.map((l) => l.close()));
      await metricsServer?.close();
      await l4.close();
      checker.stop();
      upstreams.destroy();
      await status?.stop(ingresses.store.list());
      if (ownInformers) informers.stop();
    },
  };
}
