// Puts encryption at rest between the apiserver and its store: reads (or, for
// --secrets-encryption, first writes) the EncryptionConfiguration, and refuses to start
// on a file Kubernetes would refuse.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResourceRegistry } from '../../api/registry.js';
import { generatedConfig, parseEncryptionConfig, serializeEncryptionConfig } from '../../storage/encryption/config.js';
import { EncryptingStore } from '../../storage/encryption/encrypting-store.js';
import type { Store } from '../../storage/store.js';
import { SecretsEncryption } from './key-rotation.js';
import { sealerRouter } from './router.js';
import { createFileDurable } from '../../util/durable-file.js';

/** Writes a configuration with a fresh key at `file` unless one is there already. */
export function ensureGeneratedConfig(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  createFileDurable(file, serializeEncryptionConfig(generatedConfig()), 0o600);
}

export function encryptStore(raw: Store, registry: ResourceRegistry, file: string): { store: EncryptingStore; service: SecretsEncryption } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the encryption provider configuration ${file}: ${(err as Error).message}`);
  }
  const config = parseEncryptionConfig(text, file);
  const store = new EncryptingStore(raw, sealerRouter(config, registry));
  return { store, service: new SecretsEncryption(store, raw, registry, config, file) };
}

export interface EncryptionFlags {
  encryptionProviderConfig?: string;
  secretsEncryption?: boolean;
}

/** Where --secrets-encryption keeps its generated configuration. */
export function generatedConfigPath(dataDir: string): string {
  return join(dataDir, 'cred', 'encryption-config.json');
}

/** The encrypting store and its service when a flag asks for encryption at rest; undefined otherwise. */
export function encryptionFromFlags(
  dataDir: string,
  flags: EncryptionFlags,
  raw: Store,
  registry: ResourceRegistry,
): ReturnType<typeof encryptStore> | undefined {
  if (flags.encryptionProviderConfig && flags.secretsEncryption)
    throw new Error('--secrets-encryption and --encryption-provider-config exclude each other: the first writes its own configuration');
  if (flags.encryptionProviderConfig) return encryptStore(raw, registry, flags.encryptionProviderConfig);
  if (!flags.secretsEncryption) return undefined;
  const file = generatedConfigPath(dataDir);
  ensureGeneratedConfig(file);
  return encryptStore(raw, registry, file);
}
