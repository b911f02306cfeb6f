// The service-account controller: every active namespace has a `default` ServiceAccount,
// recreated if someone deletes it.
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isAlreadyExists, isNotFound } from '../client/transport.js';
import type { ControllerContext, ControllerFactory } from './lib/context.js';
import { QueueController } from './lib/queue-controller.js';

export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export class ServiceAccountController extends QueueController {
  readonly name = 'serviceaccount';
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly accounts: SharedInformer<ServiceAccount>;

  constructor(private readonly ctx: ControllerContext) {
    super({ workers: 2, log: ctx.log, failure: 'sync failed', keyField: 'namespace' });
    this.namespaces = ctx.informers.informerFor(resources.namespaces);
    this.accounts = ctx.informers.informerFor(resources.serviceAccounts);
    this.namespaces.addEventHandler({ onAdd: (ns) => this.queue.add(ns.metadata!.name!), onUpdate: (_o, ns) => this.queue.add(ns.metadata!.name!) });
    this.accounts.addEventHandler({
      onDelete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata!.name!)) this.queue.add(sa.metadata!.namespace!);
      },
    });
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.namespaces.get(namespace);
    if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    for (const name of DEFAULT_SERVICE_ACCOUNTS) {
      if (this.accounts.get(name, namespace)) continue;
      try {
        await this.ctx.client.serviceAccounts.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
      } catch (err) {
        // Exists already (our cache lags) or the namespace went away meanwhile: nothing to do.
        if (isAlreadyExists(err) || isNotFound(err)) continue;
        if ((err as { code?: number }).code === 403 && /being terminated/.test((err as Error).message)) continue;
        throw err;
      }
    }
  }
}

export const serviceAccountController: ControllerFactory = (ctx) => new ServiceAccountController(ctx);
