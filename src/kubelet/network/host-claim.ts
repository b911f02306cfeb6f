// Which running Skiff uses which bridge and cluster CIDR in this network namespace. A
// second server started with the defaults finds the first one's bridge marked as Skiff's
// and its routes on that very bridge, so the conflict check alone lets it through, and the
// two clusters hand out the same pod addresses. Each node network therefore claims its
// bridge and CIDR in a file while it runs; a claim whose process is gone is stale.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netsOverlap, parseIpv4Net } from './ipv4.js';

export const CLAIM_DIR = '/run/skiff/networks';

export interface NetworkClaim {
  pid: number;
  bridge: string;
  clusterCidr: string;
}

export interface ClaimOptions {
  bridge: string;
  clusterCidr: string;
  dir?: string;
  pid?: number;
  bridgeFlag?: string;
  clusterCidrFlag?: string;
}

/** The network namespace a process is in (its inode), or undefined once the process is gone. */
function netnsOf(pid: number | 'self'): number | undefined {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    return undefined;
  }
}

function claimsIn(dir: string, ns: number): { file: string; claim: NetworkClaim }[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(`${ns}-`) && n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: { file: string; claim: NetworkClaim }[] = [];
  for (const n of names) {
    try {
      out.push({ file: join(dir, n), claim: JSON.parse(readFileSync(join(dir, n), 'utf8')) as NetworkClaim });
    } catch {
      /* half written or removed meanwhile: not a claim */
    }
  }
  return out;
}

/** Problems with the claims of other live processes in this network namespace; each names the flag to change. */
export function findClaimConflicts(o: ClaimOptions): string[] {
  const dir = o.dir ?? CLAIM_DIR;
  const pid = o.pid ?? process.pid;
  const ns = netnsOf('self');
  const mine = parseIpv4Net(o.clusterCidr);
  if (ns === undefined || !mine) return [];
  const problems: string[] = [];
  for (const { claim } of claimsIn(dir, ns)) {
    // Stale (the process is gone, or the pid was reused in another namespace), or our own.
    if (claim.pid === pid || netnsOf(claim.pid) !== ns) continue;
    if (claim.bridge === o.bridge)
      problems.push(`the bridge ${o.bridge} is in use by another running Skiff (pid ${claim.pid}): choose another name with ${o.bridgeFlag ?? '--cni-bridge'}`);
    const theirs = parseIpv4Net(claim.clusterCidr);
    if (theirs && netsOverlap(theirs, mine))
      problems.push(
        `${o.clusterCidrFlag ?? '--cluster-cidr'} ${o.clusterCidr} overlaps ${claim.clusterCidr}, the cluster CIDR of another running Skiff (pid ${claim.pid}) on this host: choose one that does not overlap`,
      );
  }
  return problems;
}

/** Claims the bridge and CIDR for this process (throws on a conflict); returns the release. */
export function claimNetwork(o: ClaimOptions): () => void {
  const problems = findClaimConflicts(o);
  if (problems.length) throw new Error(`the pod network cannot be set up on this host: ${problems.join('; ')}`);
  const dir = o.dir ?? CLAIM_DIR;
  const ns = netnsOf('self');
  if (ns === undefined) return () => {};
  const claim: NetworkClaim = { pid: o.pid ?? process.pid, bridge: o.bridge, clusterCidr: o.clusterCidr };
  const file = join(dir, `${ns}-${o.bridge}.json`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(claim));
  } catch {
    // Not writable (no root): the check above still ran; a later server just cannot see this one.
    return () => {};
  }
  return () => {
    try {
      if ((JSON.parse(readFileSync(file, 'utf8')) as NetworkClaim).pid === claim.pid) rmSync(file, { force: true });
    } catch {
      /* gone already */
    }
  };
}
