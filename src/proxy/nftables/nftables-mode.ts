// The nftables proxy mode: keeps `ip skiff` equal to the snapshot with one `nft -f -`
// transaction per sync. An incremental sync rewrites only what changed in the changed service
// ports (fragment-diff.ts): elements that differ, chains whose rules differ.
// A full sync (the first one, 'all', or after a failed incremental one) flushes the table's
// chains and maps and rebuilds them, so rules that something else removed come back.
// Per-endpoint affinity sets are kept across syncs (their entries are the ClientIP pins). Chains that fell out of use are flushed at once and
// deleted at a later sync: before Linux 6.2 the kernel may still count a just-removed map
// element's reference to the chain, as kube-proxy notes.
import { isIPv4 } from 'node:net';
import type { Logger } from '../../util/log.js';
import { conntrackDeleter, StaleUdpFlusher, type ConntrackDelete } from '../conntrack-cleanup.js';
import { run } from '../run-command.js';
import type { ProxyMode, ProxySnapshot, ServicePortKey } from '../types.js';
import { fragmentDiff } from './fragment-diff.js';
import { isAffinitySetName, isServiceChainName, TABLE } from './names.js';
import { NftCommand, type NftRunner } from './nft-command.js';
import {
  BASE_MAPS,
  BASE_SETS,
  addFragmentLines,
  baseObjects,
  addChainLine,
  deleteChainLine,
  deleteSetLine,
  deleteTableLines,
  flushSetLine,
  serviceFragment,
  setElementLine,
  type NftOptions,
  type ServiceFragment,
} from './ruleset.js';

export interface NftablesModeOptions extends NftOptions {
  /** Defaults to running `nft` on this host. */
  nft?: NftRunner;
  log?: Logger;
  /** How long a dropped chain stays (flushed) before it is deleted; default 1 s. */
  staleChainMs?: number;
  now?: () => number;
  /** Deletes stale UDP conntrack entries; default: the node's `conntrack -D`. */
  conntrack?: ConntrackDelete;
}

const silent: Logger = { info() {}, warn() {}, error() {}, child: () => silent };

export class NftablesMode implements ProxyMode {
  readonly name = 'nftables' as const;
  private readonly nft: NftRunner;
  private readonly log: Logger;
  private readonly staleChainMs: number;
  private readonly now: () => number;
  /** What each service port has in the kernel now (after the last successful sync). */
  private programmed = new Map<ServicePortKey, ServiceFragment>();
  private clusterIPs = new Set<string>();
  private nodeIPs = new Set<string>();
  /** Flushed chains waiting to be deleted, with the time they fell out of use. */
  private staleChains = new Map<string, number>();
  private needFull = true;
  private readonly udp: StaleUdpFlusher;

  constructor(private readonly opts: NftablesModeOptions = {}) {
    this.nft = opts.nft ?? new NftCommand();
    this.log = opts.log ?? silent;
    this.staleChainMs = opts.staleChainMs ?? 1000;
    this.now = opts.now ?? Date.now;
    this.udp = new StaleUdpFlusher(opts.conntrack ?? conntrackDeleter(run), (m, f) => this.log.warn(m, f));
  }

  async sync(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void> {
    await this.program(snapshot, changed);
    // As in the iptables mode: UDP entries pointing at endpoints that went away are deleted.
    const keys = changed === 'all' ? new Set([...snapshot.services.keys(), ...this.udp.keys()]) : changed;
    await this.udp.afterSync(snapshot, keys, (k) => this.programmed.has(k));
  }

  private async program(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void> {
    if (changed !== 'all' && !this.needFull) {
      try {
        await this.commit(this.incremental(snapshot, changed));
        return;
      } catch (err) {
        // Someone changed the table under us (e.g. an element we delete is gone): rebuild it.
        this.log.warn('incremental nftables sync failed; doing a full resync', { error: (err as Error).message });
      }
    }
    const firstTime = this.programmed.size === 0 && this.staleChains.size === 0;
    this.needFull = true;
    try {
      await this.commit(await this.full(snapshot, firstTime));
    } catch (err) {
      if (firstTime) throw err;
      this.log.warn("full nftables sync from our record failed; rebuilding from the kernel's listing", { error: (err as Error).message });
      await this.commit(await this.full(snapshot, true));
    }
    this.needFull = false;
  }

  private async commit(tx: Transaction): Promise<void> {
    try {
      // Nothing differs (e.g. a resent EndpointSlice): no nft run at all.
      if (tx.lines.length > 0) await this.nft.apply(`${tx.lines.join('\n')}\n`);
    } catch (err) {
      this.log.error('nft transaction refused', { error: (err as Error).message, ruleset: tx.lines.join('\n') });
      throw err;
    }
    this.programmed = tx.programmed;
    this.clusterIPs = tx.clusterIPs;
    this.nodeIPs = tx.nodeIPs;
    this.staleChains = tx.staleChains;
  }

  private incremental(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey>): Transaction {
    const programmed = new Map(this.programmed);
    const removals: string[] = [];
    const additions: string[] = [];
    const setDeletes: string[] = [];
    const dropped = new Set<string>();
    // Only the changed ports can move the cluster-ips set or bring a flushed chain back into use.
    const clusterIPs = new Set(this.clusterIPs);
    const maybeGone = new Set<string>();
    const wanted = new Set<string>();
    for (const key of changed) {
      const svc = snapshot.services.get(key);
      const next = svc ? serviceFragment(svc, snapshot.endpoints.get(key) ?? [], this.opts) : undefined;
      const old = programmed.get(key);
      const d = fragmentDiff(old, next);
      removals.push(...d.removals);
      setDeletes.push(...d.setDeletes);
      additions.push(...d.additions);
      for (const c of d.dropped) dropped.add(c);
      if (old?.clusterIP && old.clusterIP !== next?.clusterIP) maybeGone.add(old.clusterIP);
      if (next?.clusterIP) clusterIPs.add(next.clusterIP);
      for (const c of next?.chains ?? []) wanted.add(c);
      if (next) programmed.set(key, next);
      else programmed.delete(key);
    }
    // Other ports of the same Service share its cluster IP: it goes only with the last of them.
    if (maybeGone.size > 0) {
      for (const f of programmed.values()) if (f.clusterIP) maybeGone.delete(f.clusterIP);
      for (const ip of maybeGone) clusterIPs.delete(ip);
    }
    const lines = [...removals, ...setDeletes, ...additions];
    return this.finish(
      snapshot,
      programmed,
      lines,
      dropped,
      { clusterIPs: this.clusterIPs, nodeIPs: this.nodeIPs, staleChains: this.staleChains },
      { clusterIPs, wanted },
    );
  }

  /**
   * Rebuilds the whole table: `flush table` empties every chain (sets keep their elements, so
   * affinity pins survive), the maps are flushed, and everything is added again. Which of our
   * chains and sets exist comes from our own record, or from the kernel (`fromKernel`: on the
   * first sync, when leftovers of an earlier run may be there, and when a rebuild from our
   * record was refused).
   */
  private async full(snapshot: ProxySnapshot, fromKernel: boolean): Promise<Transaction> {
    let existingChains: Set<string>;
    let existingSets: Map<string, number | undefined>;
    if (fromKernel) {
      const listed = await this.nft.listObjects(TABLE);
      existingChains = new Set(listed.chains.filter(isServiceChainName));
      existingSets = new Map(listed.sets.filter(isAffinitySetName).map((n) => [n, undefined]));
    } else {
      existingChains = new Set(this.staleChains.keys());
      existingSets = new Map();
      for (const f of this.programmed.values()) {
        for (const c of f.chains) existingChains.add(c);
        for (const a of f.affinitySets) existingSets.set(a.name, a.timeoutSeconds);
      }
    }
    const programmed = new Map<ServicePortKey, ServiceFragment>();
    for (const [key, svc] of snapshot.services) programmed.set(key, serviceFragment(svc, snapshot.endpoints.get(key) ?? [], this.opts));
    const wantedSets = new Map<string, number>();
    const wantedChains = new Set<string>();
    for (const f of programmed.values()) {
      for (const a of f.affinitySets) wantedSets.set(a.name, a.timeoutSeconds);
      for (const c of f.chains) wantedChains.add(c);
    }
    const lines = [...deleteTableLines().slice(0, 1), `flush table ip ${TABLE}`, ...baseObjects(this.opts)];
    for (const m of [...BASE_MAPS, ...BASE_SETS]) lines.push(flushSetLine(m));
    const dropped = new Set<string>();
    for (const c of existingChains) if (!wantedChains.has(c)) dropped.add(c);
    for (const [name, timeout] of existingSets) {
      // A set whose timeout changed is recreated (the kernel cannot alter it in place).
      const want = wantedSets.get(name);
      if (want === undefined || (timeout !== undefined && timeout !== want)) lines.push(deleteSetLine(name));
    }
    for (const f of programmed.values()) lines.push(...addFragmentLines(f));
    // The shared sets were flushed above, so every element is added again.
    const staleChains = new Map([...this.staleChains].filter(([c]) => existingChains.has(c)));
    const clusterIPs = new Set<string>();
    for (const f of programmed.values()) if (f.clusterIP) clusterIPs.add(f.clusterIP);
    return this.finish(snapshot, programmed, lines, dropped, { clusterIPs: new Set(), nodeIPs: new Set(), staleChains }, { clusterIPs, wanted: wantedChains });
  }

  /** Adds the shared sets' element changes and stale-chain deletion to a transaction. */
  private finish(
    snapshot: ProxySnapshot,
    programmed: Map<ServicePortKey, ServiceFragment>,
    lines: string[],
    dropped: Set<string>,
    prev: Previous,
    next: { clusterIPs: Set<string>; wanted: ReadonlySet<string> },
  ): Transaction {
    const { clusterIPs, wanted } = next;
    const nodeIPs = new Set(snapshot.nodeIPs.filter((ip) => isIPv4(ip) && !ip.startsWith('127.')));
    const setLines = (set: 'cluster-ips' | 'nodeport-ips', before: ReadonlySet<string>, after: Set<string>) => {
      for (const ip of before) if (!after.has(ip)) lines.push(setElementLine('delete', set, ip));
      for (const ip of after) if (!before.has(ip)) lines.push(setElementLine('add', set, ip));
    };
    setLines('cluster-ips', prev.clusterIPs, clusterIPs);
    setLines('nodeport-ips', prev.nodeIPs, nodeIPs);

    const now = this.now();
    const staleChains = new Map<string, number>();
    for (const [c, since] of prev.staleChains) {
      if (wanted.has(c)) continue; // back in use
      if (now - since >= this.staleChainMs)
        lines.push(addChainLine(c), deleteChainLine(c)); // add: idempotent, so a chain someone removed cannot fail the transaction
      else staleChains.set(c, since);
    }
    for (const c of dropped) if (!prev.staleChains.has(c)) staleChains.set(c, now);
    return { lines, programmed, clusterIPs, nodeIPs, staleChains };
  }

  async cleanup(): Promise<void> {
    await this.nft.apply(`${deleteTableLines().join('\n')}\n`);
    this.programmed.clear();
    this.clusterIPs.clear();
    this.nodeIPs.clear();
    this.staleChains.clear();
    this.udp.clear();
    this.needFull = true;
  }

  async stop(): Promise<void> {
    // Nothing runs between syncs; the table stays so pods keep working.
  }
}

interface Previous {
  clusterIPs: ReadonlySet<string>;
  nodeIPs: ReadonlySet<string>;
  staleChains: ReadonlyMap<string, number>;
}

interface Transaction {
  lines: string[];
  programmed: Map<ServicePortKey, ServiceFragment>;
  clusterIPs: Set<string>;
  nodeIPs: Set<string>;
  staleChains: Map<string, number>;
}
