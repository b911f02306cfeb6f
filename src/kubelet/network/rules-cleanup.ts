// What `skiff cleanup` removes from the kernel's network state, as k3s's killall script
// does for k3s: every iptables rule and chain of Kubernetes' proxy (KUBE-*), of Skiff
// (SKIFF-*) and of the CNI plugins (CNI-*), and the jumps to them; the nft tables named
// `skiff` and `skiff-userspace`; the routes Skiff made (protocol ROUTE_PROTO); the links Skiff made (its alias:
// the pod bridge and the VXLAN device) and the pod bridge by name. Everything is looked up
// first, so it is safe to run when nothing is there.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mustRun, runJson, type CommandRunner } from './commands.js';
import { ROUTE_PROTO } from './pod-routes.js';
import { LINK_ALIAS, linkInfo, vxlanDeviceName } from './vxlan.js';

/** Chain prefixes whose chains and every rule naming them go. */
export const CHAIN_PREFIXES = ['KUBE-', 'SKIFF-', 'CNI-'];
/** The nftables proxy mode's table and the userspace mode's redirector table. */
export const NFT_TABLES = ['skiff', 'skiff-userspace'];

/** An iptables-save dump without Skiff's, kube-proxy's and CNI's chains and rules; undefined when there are none. */
export function withoutOurRules(dump: string): { text: string; removed: number } | undefined {
  let removed = 0;
  const kept = dump.split('\n').filter((line) => {
    const ours = (line.startsWith(':') || line.startsWith('-A ') || line.startsWith('-I ')) && CHAIN_PREFIXES.some((p) => line.includes(p));
    if (ours) removed++;
    return !ours;
  });
  return removed ? { text: kept.join('\n'), removed } : undefined;
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d && existsSync(join(d, bin)));
}

export interface CleanupReport {
  removed: string[];
  failed: string[];
}

export async function cleanupNetworkRules(run: CommandRunner, opts: { bridge: string }): Promise<CleanupReport> {
  const report: CleanupReport = { removed: [], failed: [] };
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      if ((await fn()) !== false) report.removed.push(what);
    } catch (err) {
      report.failed.push(`${what}: ${(err as Error).message}`);
    }
  };
  for (const tool of ['iptables', 'ip6tables', 'iptables-legacy', 'ip6tables-legacy']) {
    if (!onPath(`${tool}-save`) || !onPath(`${tool}-restore`)) continue;
    const dump = await run(`${tool}-save`, []);
    if (dump.code !== 0) continue;
    const cleaned = withoutOurRules(dump.stdout);
    if (!cleaned) continue;
    // The whole tables are written back without our lines, in one transaction, as k3s does.
    await step(`${tool}: ${cleaned.removed} KUBE-/SKIFF-/CNI- chains and rules`, () => mustRun(run, `${tool}-restore`, ['-w'], cleaned.text).then(() => {}));
  }
  if (onPath('nft')) {
    const tables = await run('nft', ['list', 'tables']);
    for (const line of tables.stdout.split('\n')) {
      const m = /^table (\S+) (\S+)$/.exec(line.trim());
      if (m && NFT_TABLES.includes(m[2]!)) await step(`nft table ${m[1]} ${m[2]}`, () => mustRun(run, 'nft', ['delete', 'table', m[1]!, m[2]!]).then(() => {}));
    }
  }
  for (const family of ['-4', '-6']) {
    const routes = await run('ip', ['-j', family, 'route', 'show', 'table', 'all', 'proto', ROUTE_PROTO]);
    const rows = routes.code === 0 && routes.stdout.trim() ? (JSON.parse(routes.stdout) as { dst: string; table?: string }[]) : [];
    for (const r of rows)
      await step(`route ${r.dst}`, () =>
        mustRun(run, 'ip', [family, 'route', 'del', r.dst, 'proto', ROUTE_PROTO, ...(r.table ? ['table', r.table] : [])]).then(() => {}),
      );
  }
  const links = await runJson<{ ifname: string; ifalias?: string }>(run, 'ip', ['-j', 'link', 'show']);
  const names = new Set(links.filter((l) => l.ifalias === LINK_ALIAS).map((l) => l.ifname.split('@')[0]!));
  // Bridges and VXLAN devices of earlier versions (or made by the CNI plugin) carry no alias: taken by name and kind.
  for (const [name, kind] of [
    [opts.bridge, 'bridge'],
    [vxlanDeviceName(opts.bridge), 'vxlan'],
  ] as const) {
    const l = await linkInfo(run, name);
    if (l?.linkinfo?.info_kind === kind) names.add(name);
  }
  for (const name of names) await step(`link ${name}`, () => mustRun(run, 'ip', ['link', 'del', name]).then(() => {}));
  return report;
}
