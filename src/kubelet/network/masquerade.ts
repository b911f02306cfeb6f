// Masquerade for pod traffic that leaves the cluster, and only that: pod → pod across nodes
// keeps its source address (as flannel's ip-masq rules do), so a server pod sees its real
// client. The CNI bridge plugin's own ipMasq would rewrite everything not in this node's
// /24, which hides the client of every cross-node connection; with a pod network backend
// Skiff turns it off and writes these rules instead:
//
//   nat    POSTROUTING → SKIFF-POSTROUTING: -s POD -d CLUSTER RETURN; -s POD -d 224.0.0.0/4 RETURN; -s POD MASQUERADE
//   filter FORWARD     → SKIFF-FORWARD:     -s CLUSTER ACCEPT; -d CLUSTER ACCEPT  (hosts whose FORWARD policy is DROP)
//
// Each rule carries a comment naming the bridge, so that two nodes sharing a network
// namespace (tests) manage only their own rules, and a rule set out of order is rewritten.
import { mustRun, type CommandRunner } from './commands.js';

export const NAT_CHAIN = 'SKIFF-POSTROUTING';
export const FORWARD_CHAIN = 'SKIFF-FORWARD';

interface ChainRules {
  table: 'nat' | 'filter';
  chain: string;
  /** Built-in chain that jumps to `chain`. */
  from: string;
  /** Rule specs without `-A chain`. */
  rules: string[][];
}

export function masqueradeRules(podCidr: string, clusterCidr: string, bridge: string): ChainRules[] {
  const c = (what: string) => ['-m', 'comment', '--comment', `skiff ${bridge}: ${what}`];
  return [
    {
      table: 'nat',
      chain: NAT_CHAIN,
      from: 'POSTROUTING',
      rules: [
        ['-s', podCidr, '-d', clusterCidr, ...c('pod to pod keeps its source'), '-j', 'RETURN'],
        ['-s', podCidr, '-d', '224.0.0.0/4', ...c('multicast stays local'), '-j', 'RETURN'],
        ['-s', podCidr, ...c('pod traffic leaving the cluster'), '-j', 'MASQUERADE'],
      ],
    },
    {
      table: 'filter',
      chain: FORWARD_CHAIN,
      from: 'FORWARD',
      rules: [
        ['-s', clusterCidr, ...c('pod network forwarding'), '-j', 'ACCEPT'],
        ['-d', clusterCidr, ...c('pod network forwarding'), '-j', 'ACCEPT'],
      ],
    },
  ];
}

/** Splits a rule as `iptables -S` prints it (quoted comments included) into words. */
export function splitRule(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return words;
}

/** Rules of `chain` (as words after `-A chain`) whose comment names this bridge. */
async function ownRules(run: CommandRunner, table: string, chain: string, bridge: string): Promise<string[][] | undefined> {
  const r = await run('iptables', ['-w', '-t', table, '-S', chain]);
  if (r.code !== 0) return undefined;
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`-A ${chain} `))
    .map((l) => splitRule(l).slice(2))
    .filter((w) => w.some((x) => x.startsWith(`skiff ${bridge}: `)));
}

/** Brings this bridge's masquerade and forward rules to the desired state; true when something changed. */
export async function ensureMasquerade(run: CommandRunner, podCidr: string, clusterCidr: string, bridge: string): Promise<boolean> {
  let changed = false;
  for (const want of masqueradeRules(podCidr, clusterCidr, bridge)) {
    let have = await ownRules(run, want.table, want.chain, bridge);
    if (!have) {
      await mustRun(run, 'iptables', ['-w', '-t', want.table, '-N', want.chain]);
      have = [];
      changed = true;
    }
    const jump = ['-m', 'comment', '--comment', 'skiff pod network', '-j', want.chain];
    if ((await run('iptables', ['-w', '-t', want.table, '-C', want.from, ...jump])).code !== 0) {
      await mustRun(run, 'iptables', ['-w', '-t', want.table, '-A', want.from, ...jump]);
      changed = true;
    }
    if (JSON.stringify(have) === JSON.stringify(want.rules)) continue;
    // Out of order or stale (the pod CIDR changed): this bridge's rules are rewritten whole.
    for (const rule of have) await mustRun(run, 'iptables', ['-w', '-t', want.table, '-D', want.chain, ...rule]);
    for (const rule of want.rules) await mustRun(run, 'iptables', ['-w', '-t', want.table, '-A', want.chain, ...rule]);
    changed = true;
  }
  return changed;
}
