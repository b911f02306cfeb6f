// Encryption at rest while the server runs, in the manner of k3s's secrets-encrypt: what
// each stored value is sealed with, and a key rotation that (1) puts a new key first so
// every write from then on uses it, (2) rewrites every value still sealed otherwise, and
// (3) drops the old keys. The configuration file is written before it is used, so a
// server restarted mid-rotation still reads every value.
import { writeFileSync, renameSync } from 'node:fs';
import type { ResourceRegistry } from '../../api/registry.js';
import { type EncryptionConfig, newKey, type ProviderConfig, serializeEncryptionConfig } from '../../storage/encryption/config.js';
import type { EncryptingStore } from '../../storage/encryption/encrypting-store.js';
import type { KeyValue, Store } from '../../storage/store.js';
import { StoreError } from '../../storage/store.js';
import { encryptedPrefixes, sealerRouter } from './router.js';

export interface EncryptionStatus {
  enabled: true;
  configFile: string;
  /** Providers in order; the first key of the first provider seals new writes. */
  keys: { id: string; active: boolean }[];
  /** How many stored values each key seals (`identity`: stored in the clear). */
  sealedWith: Record<string, number>;
}

const PAGE = 500;

export class SecretsEncryption {
  private busy = false;

  constructor(
    private readonly store: EncryptingStore,
    /** The backend under the encrypting store: raw values, to see how each is sealed. */
    private readonly raw: Store,
    private readonly registry: ResourceRegistry,
    private config: EncryptionConfig,
    private readonly file: string,
  ) {}

  private async *rawValues(): AsyncGenerator<KeyValue> {
    for (const prefix of encryptedPrefixes(sealerRouter(this.config, this.registry), this.registry)) {
      let startAfter: string | undefined;
      for (;;) {
        const page = await this.raw.list(prefix, { limit: PAGE, startAfter });
        yield* page.items;
        if (!page.more || !page.items.length) break;
        startAfter = page.items[page.items.length - 1]!.key;
      }
    }
  }

  async status(): Promise<EncryptionStatus> {
    const sealedWith: Record<string, number> = {};
    for await (const kv of this.rawValues()) {
      const id = this.store.sealedWith(kv)?.id ?? 'unreadable';
      sealedWith[id] = (sealedWith[id] ?? 0) + 1;
    }
    const ids = this.config.rules.flatMap((r) => r.providers.flatMap((p) => (p.kind === 'identity' ? ['identity'] : p.keys.map((k) => `${p.kind}:${k.name}`))));
    const active = this.config.rules[0]?.providers[0];
    const activeId = active && (active.kind === 'identity' ? 'identity' : `${active.kind}:${active.keys[0]?.name}`);
    return { enabled: true, configFile: this.file, keys: [...new Set(ids)].map((id) => ({ id, active: id === activeId })), sealedWith };
  }

  private use(config: EncryptionConfig): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, serializeEncryptionConfig(config), { mode: 0o600 });
    renameSync(tmp, this.file);
    this.config = config;
    this.store.setRouter(sealerRouter(config, this.registry));
  }

  /** Rewrites every value not sealed by today's first key; returns how many were rewritten. */
  async rewrite(): Promise<number> {
    let rewritten = 0;
    for await (const kv of this.rawValues()) {
      let current: KeyValue | null = kv;
      // A concurrent write seals with the new key already; a conflict means: look again.
      while (current && !this.store.isCurrent(current)) {
        const plain = await this.store.get(current.key);
        if (!plain) break;
        try {
          await this.store.update(plain.key, plain.value, plain.modRevision);
          rewritten++;
          break;
        } catch (err) {
          if (!(err instanceof StoreError) || (err.code !== 'Conflict' && err.code !== 'NotFound')) throw err;
          current = await this.raw.get(current.key);
        }
      }
    }
    return rewritten;
  }

  /** A new key of the active provider's kind (AES-CBC when identity is active) for every rule; returns the new key's id and the count rewritten. */
  async rotate(): Promise<{ key: string; rewritten: number }> {
    if (this.busy) throw new Error('a key rotation is already running');
    this.busy = true;
    try {
      const before = this.config;
      const first = before.rules[0]?.providers[0];
      const kind = first && first.kind !== 'identity' ? first.kind : 'aescbc';
      const key = newKey(kind);
      const withNew = (keep: (p: ProviderConfig) => boolean): EncryptionConfig => ({
        rules: before.rules.map((r) => ({
          resources: r.resources,
          providers: [{ kind, keys: [key] }, ...r.providers.filter(keep)],
        })),
      });
      // Old keys stay readable until every value is sealed with the new one.
      this.use(withNew(() => true));
      const rewritten = await this.rewrite();
      this.use(withNew((p) => p.kind === 'identity'));
      return { key: `${kind}:${key.name}`, rewritten };
    } finally {
      this.busy = false;
    }
  }
}
