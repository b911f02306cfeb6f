// The objects that env vars and volumes read, fetched straight from the API: what the node
// agent uses when it has no informer for them. Not found is `undefined`; anything else throws.
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';
import type { EnvSources } from './env.js';
import type { VolumeSources } from '../volumes/types.js';

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function apiSources(client: Client): EnvSources & VolumeSources {
  return {
    configMap: (ns, name): Promise<ConfigMap | undefined> => orUndefined(client.configMaps.get(name, ns)),
    secret: (ns, name): Promise<Secret | undefined> => orUndefined(client.secrets.get(name, ns)),
    services: async (ns): Promise<Service[]> => (await client.services.list({ namespace: ns })).items,
    persistentVolumeClaim: (ns, name): Promise<PersistentVolumeClaim | undefined> =>
      orUndefined(client.resource(resources.persistentVolumeClaims).get(name, ns)),
    persistentVolume: (name): Promise<PersistentVolume | undefined> => orUndefined(client.resource(resources.persistentVolumes).get(name)),
  };
}
