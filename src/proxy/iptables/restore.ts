// The text handed to one `iptables-restore --noflush`: both tables, the shared chains written
// whole (a declared chain is flushed first, so they are rebuilt from every service's
// fragment), the chains of changed service ports only, and stale chains flushed and deleted.
// Pure, so tests compare its exact output; each line remembers which service port wrote it,
// so a line iptables rejects can be traced to the Service that caused it.
import type { ServicePortKey } from '../types.js';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_SERVICES,
  type ServicePortRules,
} from './rules.js';

export interface BuiltinJump {
  table: 'filter' | 'nat';
  chain: string;
  /** The rule without `-A CHAIN`. */
  rule: string;
  target: string;
}

/** Where kube-proxy hooks its chains into the built-in ones (inserted first when missing). */
export const BUILTIN_JUMPS: readonly BuiltinJump[] = [
  {
    table: 'filter',
    chain: 'INPUT',
    target: KUBE_EXTERNAL_SERVICES,
    rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    target: KUBE_EXTERNAL_SERVICES,
    rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
  },
  { table: 'filter', chain: 'INPUT', target: KUBE_NODEPORTS, rule: '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS' },
  { table: 'filter', chain: 'FORWARD', target: KUBE_FORWARD, rule: '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD' },
  {
    table: 'filter',
    chain: 'OUTPUT',
    target: KUBE_SERVICES,
    rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  },
  {
    table: 'filter',
    chain: 'FORWARD',
    target: KUBE_SERVICES,
    rule: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  },
  { table: 'filter', chain: 'INPUT', target: KUBE_FIREWALL, rule: '-j KUBE-FIREWALL' },
  { table: 'filter', chain: 'OUTPUT', target: KUBE_FIREWALL, rule: '-j KUBE-FIREWALL' },
  { table: 'nat', chain: 'OUTPUT', target: KUBE_SERVICES, rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'PREROUTING', target: KUBE_SERVICES, rule: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'POSTROUTING', target: KUBE_POSTROUTING, rule: '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING' },
];

export interface RestoreInput {
  /** Every service port's rules (the shared chains are rebuilt from all of them). */
  rules: ReadonlyMap<ServicePortKey, ServicePortRules>;
  /** Whose own chains are written: changed ones, or 'all' on a full resync. */
  write: ReadonlySet<ServicePortKey> | 'all';
  /** Service-owned nat chains to flush and delete. */
  staleChains: readonly string[];
  /** Built-in jumps that iptables-save did not show (full resync only). */
  missingJumps: readonly BuiltinJump[];
  /**
   * Whether each table's shared chains are rewritten; default both. A change that leaves them
   * as they are (an endpoint moved) then rewrites only the port's own chains.
   */
  writeShared?: { filter: boolean; nat: boolean };
  /**
   * Chains of written ports that already hold exactly these rules (an endpoint that stayed
   * when another one changed): left out, as kube-proxy skips unchanged KUBE-SEP chains.
   */
  unchangedChains?: ReadonlySet<string>;
}

export interface RestoreText {
  text: string;
  /** 1-based line number → the service port whose rule it is. */
  owners: Map<number, ServicePortKey>;
  /** How many service ports' own chains were written. */
  written: number;
}

const chainLine = (name: string) => `:${name} - [0:0]`;

class Lines {
  readonly lines: string[] = [];
  readonly owners = new Map<number, ServicePortKey>();
  add(line: string, owner?: ServicePortKey): void {
    this.lines.push(line);
    if (owner !== undefined) this.owners.set(this.lines.length, owner);
  }
}

export function buildRestore(input: RestoreInput): RestoreText {
  const keys = [...input.rules.keys()].sort();
  const out = new Lines();
  const jumps = (table: string) => {
    for (const j of input.missingJumps) if (j.table === table) out.add(`-I ${j.chain} 1 ${j.rule}`);
  };
  const each = (pick: (r: ServicePortRules) => string[]) => {
    for (const k of keys) for (const line of pick(input.rules.get(k)!)) out.add(line, k);
  };

  const shared = input.writeShared ?? { filter: true, nat: true };
  if (shared.filter) {
    out.add('*filter');
    for (const c of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_NODEPORTS, KUBE_FORWARD, KUBE_FIREWALL]) out.add(chainLine(c));
    jumps('filter');
    out.add(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`);
    out.add(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT`);
    out.add(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
    // route_localnet lets 127.0.0.1 NodePorts be DNATed; this keeps the rest of the world off 127/8.
    out.add(
      `-A ${KUBE_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
    each((r) => r.filterServices);
    each((r) => r.filterExternal);
    each((r) => r.filterNodePorts);
    out.add('COMMIT');
  }

  const writeKeys = input.write === 'all' ? keys : keys.filter((k) => (input.write as ReadonlySet<string>).has(k));
  out.add('*nat');
  if (shared.nat) for (const c of [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]) out.add(chainLine(c));
  const written = (k: ServicePortKey) => input.rules.get(k)!.chains.filter((c) => !input.unchangedChains?.has(c.name));
  for (const k of writeKeys) for (const c of written(k)) out.add(chainLine(c.name), k);
  for (const c of input.staleChains) out.add(chainLine(c));
  jumps('nat');
  if (shared.nat) {
    out.add(`-A ${KUBE_POSTROUTING} -m mark ! --mark 0x4000/0x4000 -j RETURN`);
    // The mark is cleared so that a packet re-traversing the chain (e.g. IPsec) is not masqueraded twice.
    out.add(`-A ${KUBE_POSTROUTING} -j MARK --xor-mark 0x4000`);
    out.add(`-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`);
    out.add(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark 0x4000`);
    each((r) => r.natServices);
    out.add(
      `-A ${KUBE_SERVICES} -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j ${KUBE_NODEPORTS}`,
    );
    each((r) => r.natNodePorts);
  }
  for (const k of writeKeys) for (const c of written(k)) for (const line of c.rules) out.add(line, k);
  for (const c of input.staleChains) out.add(`-X ${c}`);
  out.add('COMMIT');
  return { text: `${out.lines.join('\n')}\n`, owners: out.owners, written: writeKeys.length };
}

/** The line iptables-restore names in its error ("line 12 failed"), if any. */
export function failedLine(stderr: string): number | undefined {
  // Versions say "line 7 failed" or, for a bad argument, "Error occurred at line: 7".
  const m = /line:? (\d+) failed/i.exec(stderr) ?? /at line:? (\d+)/i.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

/** What iptables-save shows: existing chains per table and which built-in jumps are present. */
export function parseSave(save: string): { chains: Map<string, Set<string>>; jumps: Set<string> } {
  const chains = new Map<string, Set<string>>();
  const jumps = new Set<string>();
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      chains.set(table, chains.get(table) ?? new Set());
    } else if (line.startsWith(':')) chains.get(table)?.add(line.slice(1).split(' ')[0]!);
    else if (line.startsWith('-A ')) {
      const m = /^-A (\S+) .*-j (\S+)/.exec(line);
      if (m) jumps.add(`${table}/${m[1]}/${m[2]}`);
    }
  }
  return { chains, jumps };
}

export function missingJumps(save: ReturnType<typeof parseSave>): BuiltinJump[] {
  return BUILTIN_JUMPS.filter((j) => !save.jumps.has(`${j.table}/${j.chain}/${j.target}`));
}
