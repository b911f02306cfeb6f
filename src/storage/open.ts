// Chooses the store backend from --datastore-endpoint, as k3s does.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export function openStore(dataDir: string, endpoint: string | undefined): Store {
  if (!endpoint || endpoint.startsWith('sqlite://')) {
    const path = endpoint ? endpoint.slice('sqlite://'.length) : join(dataDir, 'db', 'state.db');
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    // Compaction is the apiserver's job (see compactor.ts), as with etcd.
    return SqliteStore.open(path, { compactEvery: 0, backgroundCheckpointMs: 500 });
  }
  throw new Error(`unsupported --datastore-endpoint ${JSON.stringify(endpoint)}: this build supports the embedded SQLite store (etcd comes later)`);
}
