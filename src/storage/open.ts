// Chooses the store backend from --datastore-endpoint, as k3s does: empty or sqlite://PATH
// for the embedded SQLite store, http(s)://HOST:PORT[,…] for etcd.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

/** `unsafeNoFsync`: acknowledge SQLite writes before they are on disk, as etcd's --unsafe-no-fsync. */
export async function openStore(dataDir: string, endpoint: string | undefined, opts: { unsafeNoFsync?: boolean } = {}): Promise<Store> {
  if (!endpoint || endpoint.startsWith('sqlite://')) {
    const path = endpoint ? endpoint.slice('sqlite://'.length) : join(dataDir, 'db', 'state.db');
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    // Compaction is the apiserver's job (see compactor.ts), as with etcd.
    return SqliteStore.open(path, { compactEvery: 0, backgroundCheckpointMs: 500, fsyncBeforeAck: !opts.unsafeNoFsync });
  }
  if (/^https?:\/\//.test(endpoint)) {
    // Loaded only for etcd: its client and gRPC stack are a tenth of the server's start-up.
    const { EtcdStore, parseEtcdEndpoints } = await import('./etcd.js');
    return EtcdStore.connect({ endpoints: parseEtcdEndpoints(endpoint) });
  }
  throw new Error(
    `unsupported --datastore-endpoint ${JSON.stringify(endpoint)}: use sqlite://PATH or etcd's client URLs, e.g. http://127.0.0.1:2379[,http://host2:2379]`,
  );
}
