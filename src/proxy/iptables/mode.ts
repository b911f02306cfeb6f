// The iptables proxy mode: keeps each service port's generated rules, and per sync hands
// iptables-restore the shared chains plus the chains of the ports that changed (all of them
// on a full resync, which also deletes chains nobody owns and re-adds missing hooks).
// A rule iptables rejects is traced to its Service, which is left out (logged, counted) so
// that the others still sync.
import type { Logger } from '../../util/log.js';
import { StaleUdpFlusher } from '../conntrack-cleanup.js';
import { skippedServicePorts } from '../metrics.js';
import type { ProxyMode, ProxySnapshot, ServicePortKey } from '../types.js';
import { isServiceOwnedChain } from './chain-names.js';
import { iptablesHostIn, resolveBackend, type IptablesHost } from './exec.js';
import { BUILTIN_JUMPS, buildRestore, failedLine, missingJumps, parseSave } from './restore.js';
import { servicePortRules, type RuleContext, type ServicePortRules } from './rules.js';

export interface IptablesModeOptions {
  log: Logger;
  clusterCIDR?: string;
  /** The node's command runner; tests of the mode may give their own. */
  host?: IptablesHost;
  /** --iptables-backend: legacy, nft, or auto (detected on the first sync, as kube-proxy's wrapper does). */
  backend?: string;
}

/** How many rejected Services one sync leaves out before it gives up and retries later. */
const MAX_QUARANTINE_PER_SYNC = 5;

export class IptablesMode implements ProxyMode {
  readonly name = 'iptables' as const;
  private host!: IptablesHost;
  private hostReady: Promise<void> | undefined;
  private readonly ctx: RuleContext;
  private readonly rules = new Map<ServicePortKey, ServicePortRules>();
  /** The chains each port has in the kernel, as last written. */
  private readonly chains = new Map<ServicePortKey, string[]>();
  private readonly udp: StaleUdpFlusher;
  /** Ports whose rules iptables rejected: left out until they change or a full resync. */
  private readonly rejected = new Map<ServicePortKey, string>();
  private localnetSet = false;
  /** A full sync reads the tables from the kernel: the first one, and after a refused write. */
  private listKernel = true;
  /** Rule counts of the shared chains as last written ("table/chain" → rules), for intact(). */
  private expected = new Map<string, number>();

  constructor(private readonly opts: IptablesModeOptions) {
    if (opts.host) this.host = opts.host;
    else
      this.hostReady = resolveBackend(opts.backend).then((b) => {
        this.host = iptablesHostIn(undefined, b);
        opts.log.info('iptables backend chosen', { backend: b, how: opts.backend && opts.backend !== 'auto' ? 'flag' : 'detected' });
      });
    this.ctx = { clusterCIDR: opts.clusterCIDR };
    this.udp = new StaleUdpFlusher(
      (f) => this.host.conntrackDelete(f),
      (m, f) => this.opts.log.warn(m, f),
    );
  }

  async sync(snapshot: ProxySnapshot, changed: ReadonlySet<ServicePortKey> | 'all'): Promise<void> {
    await this.hostReady;
    const full = changed === 'all';
    const keys = full ? new Set([...snapshot.services.keys(), ...this.rules.keys()]) : new Set(changed);
    if (full) this.rejected.clear();
    for (const k of keys) this.rejected.delete(k);
    // After a refused write the record may be ahead of the kernel: then every chain is written.
    const before = full || this.listKernel ? undefined : new Map([...keys].map((k) => [k, this.rules.get(k)]));
    for (const k of keys) this.regenerate(k, snapshot);
    const unchangedChains = before ? sameChains(before, this.rules) : undefined;

    let existing: Set<string> = new Set();
    let jumps: ReturnType<typeof missingJumps> = [];
    if (full) {
      if (this.listKernel) {
        // Leftovers of an earlier run (or of a failed write) are only known from the kernel.
        const save = parseSave(`${await this.host.save('filter')}\n${await this.host.save('nat')}`);
        existing = save.chains.get('nat') ?? new Set();
        jumps = missingJumps(save);
      } else {
        // Our record says which chains are ours; only the built-in chains' hooks are read
        // (iptables-save of thousands of rules costs seconds with the nft backend).
        jumps = await this.missingHooks();
      }
      if (!this.localnetSet) {
        // NodePorts on 127.0.0.1 need the kernel to route DNATed loopback traffic, as kube-proxy sets.
        await this.host
          .enableRouteLocalnet()
          .catch((err: Error) => this.opts.log.warn('could not set route_localnet; NodePorts on 127.0.0.1 will not answer', { error: err.message }));
        this.localnetSet = true;
      }
    }

    for (let attempt = 0; ; attempt++) {
      // Chain names are per service port, so only the written ports' chains can go stale now
      // (a full sync looks at all of them).
      const active = new Set<string>();
      for (const k of full ? this.rules.keys() : keys) for (const c of this.rules.get(k)?.chains ?? []) active.add(c.name);
      const stale = new Set<string>();
      for (const k of full ? this.chains.keys() : keys) for (const c of this.chains.get(k) ?? []) if (!active.has(c)) stale.add(c);
      for (const c of existing) if (isServiceOwnedChain(c) && !active.has(c)) stale.add(c);
      // The shared chains are rebuilt from every port; they need writing only when a written
      // port's share of them changed (an endpoint that moved leaves them as they are).
      const writeShared = full || !before || attempt > 0 ? { filter: true, nat: true } : sharedChanged(before, this.rules);
      const restore = buildRestore({
        rules: this.rules,
        write: full ? 'all' : keys,
        staleChains: [...stale].sort(),
        missingJumps: jumps,
        writeShared,
        unchangedChains,
      });
      const res = await this.host.restore(restore.text);
      if (res.code === 0) {
        for (const [k, n] of sharedChainCounts(restore.text)) this.expected.set(k, n);
        for (const k of keys) {
          const r = this.rules.get(k);
          if (r)
            this.chains.set(
              k,
              r.chains.map((c) => c.name),
            );
          else this.chains.delete(k);
        }
        if (full) for (const k of [...this.chains.keys()]) if (!this.rules.has(k)) this.chains.delete(k);
        if (full) this.listKernel = false;
        break;
      }
      this.listKernel = true;
      const lineNo = failedLine(res.stderr);
      const lines = restore.text.split('\n');
      const owner = lineNo !== undefined ? restore.owners.get(lineNo) : undefined;
      this.opts.log.error('iptables-restore failed', {
        error: res.stderr.trim(),
        line: lineNo,
        rule: lineNo !== undefined ? lines[lineNo - 1] : undefined,
        service: owner,
        ...(owner ? {} : { input: restore.text.length > 20_000 ? `${restore.text.slice(0, 20_000)}…` : restore.text }),
      });
      if (!owner || attempt >= MAX_QUARANTINE_PER_SYNC)
        throw new Error(`iptables-restore failed: ${res.stderr.trim()}${lineNo ? ` (line ${lineNo}: ${lines[lineNo - 1]})` : ''}`);
      // Left out, the others are written; the rejected port is tried again when it changes.
      skippedServicePorts.inc({ mode: this.name });
      this.rejected.set(owner, `iptables-restore refused its rule ${lineNo !== undefined ? JSON.stringify(lines[lineNo - 1]) : ''}: ${res.stderr.trim()}`);
      this.rules.delete(owner);
    }
    await this.udp.afterSync(snapshot, full ? new Set([...keys, ...this.udp.keys()]) : keys, (k) => this.rules.has(k));
  }

  /**
   * The shared chains hold the rules last written and the built-in chains still jump to them
   * (a handful of small listings, instead of reading a table of thousands of rules).
   */
  async intact(): Promise<boolean> {
    await this.hostReady;
    if (this.expected.size === 0) return false;
    const filterText = await this.host.save('filter');
    if (missingJumps(parseSave(filterText)).some((j) => j.table === 'filter')) return false;
    for (const [key, n] of this.expected) {
      const [table, chain] = key.split('/') as ['nat' | 'filter', string];
      const listing = table === 'filter' ? filterText : await this.host.listChain('nat', chain);
      if (listing === undefined || countRules(listing, chain) !== n) return false;
    }
    for (const hook of ['PREROUTING', 'OUTPUT', 'POSTROUTING']) {
      const listing = await this.host.listChain('nat', hook);
      const want = missingJumps(parseSave(`*nat\n${listing ?? ''}`)).filter((j) => j.table === 'nat' && j.chain === hook);
      if (listing === undefined || want.length > 0) return false;
    }
    return true;
  }

  /** Hooks from the built-in chains to ours that are missing, read chain by chain. */
  private async missingHooks(): Promise<ReturnType<typeof missingJumps>> {
    const out: ReturnType<typeof missingJumps> = [];
    for (const table of ['filter', 'nat'] as const) {
      const builtins = [...new Set(BUILTIN_JUMPS.filter((j) => j.table === table).map((j) => j.chain))];
      const listings = await Promise.all(builtins.map((c) => this.host.listChain(table, c)));
      out.push(...missingJumps(parseSave(`*${table}\n${listings.map((l) => l ?? '').join('\n')}`)).filter((j) => j.table === table));
    }
    return out;
  }

  /** Ports left out and why, for callers that tell the user (Events). */
  skipped(): ReadonlyMap<ServicePortKey, string> {
    return this.rejected;
  }

  private regenerate(key: ServicePortKey, snapshot: ProxySnapshot): void {
    const svc = snapshot.services.get(key);
    if (!svc || this.rejected.has(key)) {
      this.rules.delete(key);
      return;
    }
    try {
      this.rules.set(key, servicePortRules(svc, snapshot.endpoints.get(key) ?? [], this.ctx));
    } catch (err) {
      this.opts.log.error('skipping a service port whose rules cannot be generated', { service: key, error: (err as Error).message });
      skippedServicePorts.inc({ mode: this.name });
      this.rejected.set(key, `its rules cannot be generated: ${(err as Error).message}`);
      this.rules.delete(key);
    }
  }

  async cleanup(): Promise<void> {
    await this.hostReady;
    const save = parseSave(`${await this.host.save('filter')}\n${await this.host.save('nat')}`);
    const lines: string[] = [];
    for (const table of ['filter', 'nat'] as const) {
      const ours = [...(save.chains.get(table) ?? [])].filter((c) => c.startsWith('KUBE-'));
      lines.push(`*${table}`);
      // Hooks in built-in chains go first (a referenced chain cannot be deleted).
      const saved = await this.host.save(table);
      for (const l of saved.split('\n')) {
        const m = /^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) (.*-j (KUBE-\S+).*)$/.exec(l);
        if (m) lines.push(`-D ${m[1]} ${m[2]}`);
      }
      for (const c of ours) lines.push(`:${c} - [0:0]`);
      for (const c of ours) lines.push(`-X ${c}`);
      lines.push('COMMIT');
    }
    const res = await this.host.restore(`${lines.join('\n')}\n`);
    if (res.code !== 0) throw new Error(`removing the proxy's iptables rules failed: ${res.stderr.trim()}`);
    this.rules.clear();
    this.chains.clear();
    this.udp.clear();
    this.expected.clear();
    this.listKernel = true;
  }

  async stop(): Promise<void> {
    // Rules stay: pods keep reaching Services while the agent is down, as with kube-proxy.
  }
}

const SHARED = new Set(['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-FORWARD', 'KUBE-FIREWALL', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']);

/** "table/chain" → rules appended to each shared chain by a restore text (which rewrites them whole). */
function sharedChainCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':')) {
      const c = line.slice(1).split(' ')[0]!;
      if (SHARED.has(c)) out.set(`${table}/${c}`, out.get(`${table}/${c}`) ?? 0);
    } else if (line.startsWith('-A ')) {
      const c = line.split(' ')[1]!;
      if (SHARED.has(c)) out.set(`${table}/${c}`, (out.get(`${table}/${c}`) ?? 0) + 1);
    }
  }
  return out;
}

const sameLines = (a: readonly string[] | undefined, b: readonly string[] | undefined) =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((l, i) => l === b![i]);

/** Which table's shared chains the changed ports' rules alter. */
function sharedChanged(
  before: ReadonlyMap<ServicePortKey, ServicePortRules | undefined>,
  after: ReadonlyMap<ServicePortKey, ServicePortRules>,
): { filter: boolean; nat: boolean } {
  const out = { filter: false, nat: false };
  for (const [k, o] of before) {
    const n = after.get(k);
    if (
      !sameLines(o?.filterServices, n?.filterServices) ||
      !sameLines(o?.filterExternal, n?.filterExternal) ||
      !sameLines(o?.filterNodePorts, n?.filterNodePorts)
    )
      out.filter = true;
    if (!sameLines(o?.natServices, n?.natServices) || !sameLines(o?.natNodePorts, n?.natNodePorts)) out.nat = true;
  }
  return out;
}

/** Chains whose rules are the same before and after (so already in the kernel). */
function sameChains(before: ReadonlyMap<ServicePortKey, ServicePortRules | undefined>, after: ReadonlyMap<ServicePortKey, ServicePortRules>): Set<string> {
  const out = new Set<string>();
  for (const [k, old] of before) {
    const next = after.get(k);
    if (!old || !next) continue;
    const oldRules = new Map(old.chains.map((c) => [c.name, c.rules]));
    for (const c of next.chains) {
      const o = oldRules.get(c.name);
      if (o && o.length === c.rules.length && o.every((r, i) => r === c.rules[i])) out.add(c.name);
    }
  }
  return out;
}

function countRules(listing: string, chain: string): number {
  let n = 0;
  for (const line of listing.split('\n')) if (line.startsWith(`-A ${chain} `)) n++;
  return n;
}
