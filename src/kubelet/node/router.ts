// Hands an informer's events to the node agent they concern. One informer (and one
// watch) serves every simulated node of the process: pods are routed by spec.nodeName,
// nodes by name, instead of each node opening a watch of its own.
import type { SharedInformer } from '../../client/informer.js';

/** `obj` undefined: deleted. */
export type RoutedHandler<T> = (obj: T | undefined, old: T | undefined) => void;

export class InformerRouter<T> {
  private readonly routes = new Map<string, RoutedHandler<T>>();
  private readonly registration;

  constructor(
    readonly informer: SharedInformer<T>,
    private readonly routeOf: (obj: T) => string | undefined,
  ) {
    this.registration = informer.addEventHandler({
      onAdd: (obj) => this.deliver(obj, undefined),
      onUpdate: (old, obj) => {
        const from = this.routeOf(old);
        const to = this.routeOf(obj);
        // A pod rebound elsewhere (never in Kubernetes, but a name reused) leaves its old node.
        if (from && from !== to) this.routes.get(from)?.(undefined, old);
        this.deliver(obj, old);
      },
      onDelete: (obj) => {
        const to = this.routeOf(obj);
        if (to) this.routes.get(to)?.(undefined, obj);
      },
    });
  }

  private deliver(obj: T, old: T | undefined): void {
    const to = this.routeOf(obj);
    if (to) this.routes.get(to)?.(obj, old);
  }

  /** Routes events for `route` to `handler`, starting with what the cache holds now. */
  add(route: string, handler: RoutedHandler<T>, current: () => T[]): () => void {
    this.routes.set(route, handler);
    if (this.informer.hasSynced()) for (const obj of current()) handler(obj, undefined);
    return () => {
      if (this.routes.get(route) === handler) this.routes.delete(route);
    };
  }

  close(): void {
    this.routes.clear();
    this.registration.remove();
  }
}
