// The root-CA publisher (kube-controller-manager's root-ca-cert-publisher): every active
// namespace holds the `kube-root-ca.crt` ConfigMap with the cluster CA under `ca.crt`, so
// pods can verify the apiserver; an edited or deleted copy is put back.
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isAlreadyExists, isNotFound } from '../client/transport.js';
import type { ControllerContext, ControllerFactory } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCAPublisher extends QueueController {
  readonly name = 'root-ca-cert-publisher';
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly configMaps: SharedInformer<ConfigMap>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly rootCA: string,
  ) {
    super({ workers: 2, log: ctx.log, failure: 'root CA publish failed', keyField: 'namespace' });
    this.namespaces = ctx.informers.informerFor(resources.namespaces);
    this.configMaps = ctx.informers.informerFor(resources.configMaps);
    const ns = (n: Namespace) => this.queue.add(n.metadata!.name!);
    this.namespaces.addEventHandler({ onAdd: ns, onUpdate: (_o, n) => ns(n) });
    const cm = (c: ConfigMap) => {
      if (c.metadata?.name === ROOT_CA_CONFIGMAP) this.queue.add(c.metadata.namespace!);
    };
    this.configMaps.addEventHandler({ onUpdate: (_o, c) => cm(c), onDelete: cm });
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.get(namespace);
    if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    const data = { 'ca.crt': this.rootCA };
    const cur = this.configMaps.get(ROOT_CA_CONFIGMAP, namespace);
    const annotations = { [DESCRIPTION_ANNOTATION]: DESCRIPTION };
    try {
      if (!cur) {
        await this.ctx.client.configMaps.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations }, data });
        return;
      }
      const same =
        cur.data?.['ca.crt'] === this.rootCA &&
        Object.keys(cur.data ?? {}).length === 1 &&
        !cur.binaryData &&
        cur.metadata?.annotations?.[DESCRIPTION_ANNOTATION];
      if (same) return;
      // Only our data and annotation are restored; the rest of the object stays the user's.
      const fixed: ConfigMap = {
        ...cur,
        metadata: { ...cur.metadata, annotations: { ...cur.metadata?.annotations, ...annotations } },
        data,
        binaryData: undefined,
      };
      await this.ctx.client.configMaps.update(fixed);
    } catch (err) {
      // Our cache lags (created meanwhile, or the namespace is going away): the next event retries.
      if (isAlreadyExists(err) || isNotFound(err)) return;
      if ((err as { code?: number }).code === 403 && /being terminated/.test((err as Error).message)) return;
      throw err;
    }
  }
}

/** Enabled when the controller manager knows the cluster CA (settings.rootCA). */
export const rootCAPublisher: ControllerFactory = (ctx) => {
  const ca = ctx.settings?.rootCA;
  // A controller manager that was not given the CA (bare test clusters) has nothing to publish.
  if (!ca) return { name: 'root-ca-cert-publisher', run: async () => undefined, stop: () => undefined };
  return new RootCAPublisher(ctx, ca);
};
