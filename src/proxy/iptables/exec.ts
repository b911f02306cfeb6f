// The only place the iptables mode touches the node: iptables-restore, iptables-save,
// conntrack and the route_localnet sysctl. Everything else in the mode is pure.
import { run, type CommandResult } from '../run-command.js';
import { writeFile } from 'node:fs/promises';
import { conntrackDeleter } from '../conntrack-cleanup.js';
import { backendBinaries, detectBackend, IPTABLES_BACKEND_CHOICES, type IptablesBackend } from './backend.js';

export type { CommandResult } from '../run-command.js';

export interface IptablesHost {
  restore(text: string): Promise<CommandResult>;
  save(table: 'nat' | 'filter'): Promise<string>;
  /** `iptables -S CHAIN` of one table; undefined when the chain does not exist. */
  listChain(table: 'nat' | 'filter', chain: string): Promise<string | undefined>;
  /** `conntrack -D` with these filters; "nothing deleted" is not an error. */
  conntrackDelete(args: string[]): Promise<void>;
  enableRouteLocalnet(): Promise<void>;
}

/**
 * The node's commands; with `netns`, each runs inside that network namespace (`ip netns exec`),
 * which is how tests drive real iptables without touching the host's. `backend` picks
 * iptables-legacy or iptables-nft (backend.ts); default nft.
 */
export function iptablesHostIn(netns?: string, backend: IptablesBackend = 'nft'): IptablesHost {
  const exec = (cmd: string, args: string[], input?: string) => (netns ? run('ip', ['netns', 'exec', netns, cmd, ...args], input) : run(cmd, args, input));
  const bin = backendBinaries(backend);
  return {
    // -w: wait for the xtables lock instead of failing when another program holds it.
    restore: (text) => exec(bin.restore, ['-w', '5', '--noflush'], text),
    async save(table) {
      const r = await exec(bin.save, ['-t', table]);
      if (r.code !== 0) throw new Error(`${bin.save} -t ${table} failed (${r.code}): ${r.stderr.trim()}`);
      return r.stdout;
    },
    async listChain(table, chain) {
      const r = await exec(bin.iptables, ['-w', '5', '-t', table, '-S', chain]);
      return r.code === 0 ? r.stdout : undefined;
    },
    conntrackDelete: conntrackDeleter(run, netns),
    async enableRouteLocalnet() {
      if (!netns) return writeFile('/proc/sys/net/ipv4/conf/all/route_localnet', '1');
      const r = await exec('sysctl', ['-w', 'net.ipv4.conf.all.route_localnet=1']);
      if (r.code !== 0) throw new Error(`sysctl route_localnet failed: ${r.stderr.trim()}`);
    },
  };
}

/** The backend a node agent uses: `choice` (--iptables-backend), or detected when auto. */
export async function resolveBackend(choice: string | undefined, netns?: string): Promise<IptablesBackend> {
  if (choice === 'legacy' || choice === 'nft') return choice;
  if (choice && choice !== 'auto') throw new Error(`--iptables-backend must be one of ${IPTABLES_BACKEND_CHOICES.join(', ')}, not ${JSON.stringify(choice)}`);
  return detectBackend((cmd, args) => (netns ? run('ip', ['netns', 'exec', netns, cmd, ...args]) : run(cmd, args)));
}
