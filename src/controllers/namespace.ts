// The namespace controller: when a namespace is being deleted, delete everything in it,
// and once nothing is left, remove the "kubernetes" finalizer so the namespace goes too.
import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import { resources, type ResourceType } from '../client/resources.js';
import { isNotFound } from '../client/transport.js';
import type { Logger } from '../util/log.js';
import type { ControllerFactory } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

/** Lists the namespaced resources the server serves (a discovery client, in effect). */
export type NamespacedResources = () => ResourceType[];

const RECHECK_MS = 1000;

export class NamespaceController extends QueueController {
  readonly name = 'namespace';

  constructor(
    private readonly client: Client,
    private readonly factory: SharedInformerFactory,
    private readonly namespaced: NamespacedResources,
    log: Logger,
  ) {
    super({ workers: 2, log, failure: 'namespace cleanup failed', keyField: 'namespace' });
    const informer = factory.informerFor(resources.namespaces);
    const enqueue = (ns: Namespace) => {
      if (ns.metadata?.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    informer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  async reconcile(name: string): Promise<void> {
    const ns = this.factory.informerFor(resources.namespaces).store.get(name);
    if (!ns?.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes('kubernetes')) return;
    let remaining = 0;
    for (const type of this.namespaced()) {
      const rc = this.client.resource(type);
      try {
        const left = await rc.list({ namespace: name, limit: 1 });
        if (!left.items.length) continue;
        await rc.deleteCollection({ namespace: name });
        const after = await rc.list({ namespace: name });
        remaining += after.items.length;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    if (remaining > 0) {
      // Some objects wait on finalizers or graceful termination; look again shortly.
      this.queue.addAfter(name, RECHECK_MS);
      return;
    }
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    try {
      await this.client.namespaces.updateSubresource(name, 'finalize', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, resourceVersion: ns.metadata.resourceVersion },
        spec: { finalizers },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

export const namespaceController: ControllerFactory = (ctx) => new NamespaceController(ctx.client, ctx.informers, () => ctx.namespacedResources(), ctx.log);
