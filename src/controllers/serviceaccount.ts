// The service-account controller: every active namespace has a `default` ServiceAccount,
// recreated if someone deletes it.
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { SharedInformer } from '../client/informer.js';
import { resources } from '../client/resources.js';
import { isAlreadyExists, isNotFound } from '../client/transport.js';
import { runWorkers, WorkQueue } from '../client/workqueue.js';
import type { Controller, ControllerContext, ControllerFactory } from './lib/context.js';

export const DEFAULT_SERVICE_ACCOUNTS = ['default'];

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  private readonly queue = new WorkQueue();
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly accounts: SharedInformer<ServiceAccount>;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.informerFor(resources.namespaces);
    this.accounts = ctx.informers.informerFor(resources.serviceAccounts);
    this.namespaces.addEventHandler({ onAdd: (ns) => this.queue.add(ns.metadata!.name!), onUpdate: (_o, ns) => this.queue.add(ns.metadata!.name!) });
    this.accounts.addEventHandler({
      onDelete: (sa) => {
        if (DEFAULT_SERVICE_ACCOUNTS.includes(sa.metadata!.name!)) this.queue.add(sa.metadata!.namespace!);
      },
    });
  }

  run(): Promise<void> {
    return runWorkers(this.queue, 2, (ns) => this.sync(ns), {
      onError: (key, err) => this.ctx.log.warn('sync failed', { namespace: key, error: (err as Error).message }),
    });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async sync(namespace: string): Promise<void> {
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
