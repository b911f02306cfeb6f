// What every server sharing one datastore must agree on, kept in the datastore itself.
// The first server to start writes it; each later one compares its own and refuses to
// start on a mismatch, instead of serving a cluster whose certificates its clients would
// not trust, or handing out pod and service addresses from another range than its peers.
// (The CA itself stays in DATA_DIR/tls: copy that directory to each server.)
import { createHash, X509Certificate } from 'node:crypto';
import { StoreError, type Store } from './store.js';

/** Under /registry/ (no API resource uses that name): a write outside it would stall the
 * watch cache's consistent reads, which wait for the newest revision. */
export const CLUSTER_RECORD_KEY = '/registry/skiff/cluster';

export interface ClusterRecord {
  /** SHA-256 of the CA certificate (DER), hex. */
  caFingerprint: string;
  /** SHA-256 of the join secret, hex: agents join any of the servers with one token. */
  joinSecretHash: string;
  clusterCIDR: string;
  serviceCIDR: string;
}

export function caFingerprint(caPem: string): string {
  return createHash('sha256').update(new X509Certificate(caPem).raw).digest('hex');
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const HINT: Record<keyof ClusterRecord, string> = {
  caFingerprint: "copy DATA_DIR/tls (and DATA_DIR/token) from the first server into this server's data dir",
  joinSecretHash: 'copy DATA_DIR/token from the first server, or pass its --token',
  clusterCIDR: 'start it with the same --cluster-cidr',
  serviceCIDR: 'start it with the same --service-cidr',
};

/**
 * Stores `mine` when the datastore has no record yet, else checks it against the stored
 * one. Throws an Error naming each difference and how to fix it.
 */
export async function claimClusterRecord(store: Store, mine: ClusterRecord, datastore = 'the datastore'): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const cur = await store.get(CLUSTER_RECORD_KEY);
    if (!cur) {
      try {
        await store.create(CLUSTER_RECORD_KEY, JSON.stringify(mine));
        return;
      } catch (err) {
        // Another server started at the same moment: compare with what it wrote.
        if (err instanceof StoreError && err.code === 'KeyExists') continue;
        throw err;
      }
    }
    let theirs: Partial<ClusterRecord>;
    try {
      theirs = JSON.parse(cur.value) as Partial<ClusterRecord>;
    } catch {
      throw new Error(`${datastore} holds an unreadable cluster record at ${CLUSTER_RECORD_KEY}: ${cur.value.slice(0, 200)}`);
    }
    const diffs = (Object.keys(HINT) as (keyof ClusterRecord)[])
      .filter((k) => theirs[k] !== undefined && theirs[k] !== mine[k])
      .map((k) => `${k} is ${theirs[k]} there but ${mine[k]} here: ${HINT[k]}`);
    if (diffs.length) throw new Error(`this server does not match the cluster already in ${datastore}: ${diffs.join('; ')}`);
    return;
  }
  throw new Error(`could not read or write the cluster record in ${datastore}`);
}
