// Which sealers guard which stored keys: the EncryptionConfiguration names resources
// (`secrets`, `deployments.apps`, `*.apps`, `*.` for the core group, `*.*`); the store only
// sees keys. The registry knows the key prefix of each resource, so the mapping is built
// here and looked up once per resource prefix.
import type { ResourceRegistry } from '../../api/registry.js';
import type { EncryptionConfig } from '../../storage/encryption/config.js';
import type { SealerRouter } from '../../storage/encryption/encrypting-store.js';
import { type Sealer, sealersOf } from '../../storage/encryption/providers.js';

/** The names a configuration may use for a resource, most specific first. */
function namesOf(plural: string, group: string): string[] {
  return group ? [`${plural}.${group}`, `*.${group}`, '*.*'] : [plural, `${plural}.`, '*.', '*.*'];
}

/** `/registry/secrets/` for `/registry/secrets/ns/name`; custom resources have `/registry/<group>/<plural>/`. */
function resourcePrefixOf(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length < 4 || parts[1] !== 'registry') return undefined;
  return parts[2]!.includes('.') ? `/registry/${parts[2]}/${parts[3]}/` : `/registry/${parts[2]}/`;
}

export function sealerRouter(config: EncryptionConfig, registry: ResourceRegistry): SealerRouter {
  const rules = config.rules.map((r) => ({ names: new Set(r.resources), sealers: sealersOf(r.providers) }));
  // Resources never change their key prefix, but custom resources appear later: unknown prefixes are looked up again.
  const known = new Map<string, Sealer[] | undefined>();
  const resolve = (prefix: string): Sealer[] | undefined => {
    const def = registry.all().find((d) => registry.storage(d).prefix === prefix);
    if (!def) return undefined;
    const names = namesOf(def.plural, def.group);
    const sealers = rules.find((r) => names.some((n) => r.names.has(n)))?.sealers;
    known.set(prefix, sealers);
    return sealers;
  };
  return (key) => {
    const prefix = resourcePrefixOf(key);
    if (!prefix) return undefined;
    return known.has(prefix) ? known.get(prefix) : resolve(prefix);
  };
}

/** The key prefixes of every served resource the configuration encrypts. */
export function encryptedPrefixes(route: SealerRouter, registry: ResourceRegistry): string[] {
  const prefixes = new Set(registry.all().map((d) => registry.storage(d).prefix));
  return [...prefixes].filter((p) => route(`${p}x/y`) !== undefined).sort();
}
