// The controller manager: one informer factory shared by every controller in the process,
// each controller registered below by name (so `--controllers` can pick, as in Kubernetes).
import type { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { ResourceType } from '../client/resources.js';
import type { Logger } from '../cli/log.js';
import type { Controller, ControllerContext, ControllerFactory } from './lib/context.js';
import { ClientEventRecorder } from './lib/recorder.js';
import { namespaceController } from './namespace.js';

/** Every controller, by the name Kubernetes' controller manager gives it. Add new ones here. */
export const CONTROLLERS: Record<string, ControllerFactory> = {
  namespace: namespaceController,
};

export interface RunningControllers {
  controllers: Controller[];
  context: ControllerContext;
  stop(): void;
}

export interface ControllerOptions {
  /** Names to run; default all. */
  enabled?: string[];
  now?: () => number;
}

export async function startControllers(client: Client, registry: ResourceRegistry, log: Logger, opts: ControllerOptions = {}): Promise<RunningControllers> {
  const informers = new SharedInformerFactory(client);
  const context: ControllerContext = {
    client,
    informers,
    registry,
    log,
    now: opts.now ?? Date.now,
    recorder: (component) => new ClientEventRecorder(client, component, log.child('events'), '', opts.now ?? Date.now),
    namespacedResources: (): ResourceType[] =>
      registry
        .all()
        // A version served by conversion from another's storage is covered by that one.
        .filter((d) => d.namespaced && (d.verbs ?? ['deletecollection']).includes('deletecollection') && registry.storage(d).identity)
        .map((d) => ({ group: d.group, version: d.version, resource: d.plural, namespaced: true, kind: d.kind })),
  };
  const names = opts.enabled ?? Object.keys(CONTROLLERS);
  const controllers = names.map((n) => {
    const f = CONTROLLERS[n];
    if (!f) throw new Error(`unknown controller ${JSON.stringify(n)} (known: ${Object.keys(CONTROLLERS).join(', ')})`);
    return f({ ...context, log: log.child(n) });
  });
  informers.start();
  await informers.waitForSync();
  for (const c of controllers) void c.run().catch((err) => log.error('controller stopped with an error', { controller: c.name, error: (err as Error).stack }));
  return {
    controllers,
    context,
    stop() {
      for (const c of controllers) c.stop();
      informers.stop();
    },
  };
}
