// One informer per resource and scope for a whole process, so that every controller that
// watches pods shares one list, one watch and one cache.
import type { KObject } from '../api/types.js';
import type { Client } from './client.js';
import type { ResourceType } from './resources.js';
import { SharedInformer, type InformerOptions } from './informer.js';

export interface InformerScope {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Options every informer of the factory gets; scope options come from informerFor. */
export type FactoryOptions = Omit<InformerOptions<KObject>, 'namespace' | 'labelSelector' | 'fieldSelector' | 'indexers'> & {
  /** Default namespace for informers of namespaced resources; default: all namespaces. */
  namespace?: string;
};

export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<any>>();
  private started = false;
  private stopped = false;

  constructor(
    readonly client: Client,
    private readonly opts: FactoryOptions = {},
  ) {}

  /**
   * The informer for this resource and scope, created on first request. Once the factory
   * has been started, new informers start at once.
   */
  informerFor<T = KObject>(type: ResourceType<T>, scope: InformerScope = {}): SharedInformer<T> {
    if (this.stopped) throw new Error('the informer factory has been stopped');
    const namespace = type.namespaced ? (scope.namespace ?? this.opts.namespace ?? '') : '';
    const key = [type.group, type.version, type.resource, namespace, scope.labelSelector ?? '', scope.fieldSelector ?? ''].join('|');
    let inf = this.informers.get(key) as SharedInformer<T> | undefined;
    if (!inf) {
      const { namespace: _ns, ...common } = this.opts;
      inf = new SharedInformer<T>(this.client.resource(type), {
        ...(common as InformerOptions<T>),
        namespace: namespace || undefined,
        labelSelector: scope.labelSelector,
        fieldSelector: scope.fieldSelector,
      });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf;
  }

  /** Starts every informer handed out so far (and, from now on, each new one). */
  start(): void {
    if (this.stopped) throw new Error('the informer factory has been stopped');
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
  }

  /** Resolves when every informer handed out so far has synced; rejects if one is stopped first. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  stop(): void {
    this.stopped = true;
    for (const inf of this.informers.values()) inf.stop();
  }

  list(): SharedInformer<unknown>[] {
    return [...this.informers.values()];
  }
}
