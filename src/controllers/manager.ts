// The controller manager: one informer factory shared by every controller in the process.
import type { ResourceRegistry } from '../api/registry.js';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { ResourceType } from '../client/resources.js';
import type { Logger } from '../cli/log.js';
import { NamespaceController } from './namespace.js';

export interface RunningControllers {
  stop(): void;
}

export async function startControllers(client: Client, registry: ResourceRegistry, log: Logger): Promise<RunningControllers> {
  const factory = new SharedInformerFactory(client);
  const namespaced = (): ResourceType[] =>
    registry
      .all()
      // A version served by conversion from another's storage is covered by that one.
      .filter((d) => d.namespaced && (d.verbs ?? ['deletecollection']).includes('deletecollection') && registry.storage(d).identity)
      .map((d) => ({ group: d.group, version: d.version, resource: d.plural, namespaced: true, kind: d.kind }));
  const ns = new NamespaceController(client, factory, namespaced, log.child('namespace'));
  factory.start();
  void ns.run();
  await factory.waitForSync();
  return {
    stop() {
      ns.stop();
      factory.stop();
    },
  };
}
