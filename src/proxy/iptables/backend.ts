// Which iptables the iptables mode drives: the legacy (x_tables) one or the nf_tables one.
// Chosen as kube-proxy's iptables-wrapper (and k3s) do: the backend that already holds the
// node's rules wins, so Skiff never splits a node's rules across two backends; with no rules
// in either, nft (what Debian's `iptables` is). `--iptables-backend legacy|nft` overrides it.
// The choice matters for speed: iptables-nft-restore with thousands of rules re-reads the
// whole table in every run, iptables-legacy-restore swaps the table in one kernel call.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '../run-command.js';

export type IptablesBackend = 'legacy' | 'nft';
export const IPTABLES_BACKEND_CHOICES = ['auto', 'legacy', 'nft'] as const;

/** The binaries of one backend; plain `iptables*` stands in for nft where no -nft variant exists. */
export function backendBinaries(
  backend: IptablesBackend,
  onPath: (bin: string) => boolean = binaryOnPath,
): { iptables: string; save: string; restore: string } {
  const prefix = backend === 'legacy' ? 'iptables-legacy' : onPath('iptables-nft') ? 'iptables-nft' : 'iptables';
  return { iptables: prefix, save: `${prefix}-save`, restore: `${prefix}-restore` };
}

export function binaryOnPath(bin: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d && existsSync(join(d, bin)));
}

/** How much of a save dump is Kubernetes' (KUBE- lines), and how many rules it has at all. */
export function saveWeight(dump: string): { kube: number; rules: number } {
  let kube = 0;
  let rules = 0;
  for (const line of dump.split('\n')) {
    if (!line.startsWith('-A ') && !line.startsWith(':')) continue;
    if (line.includes('KUBE-')) kube++;
    if (line.startsWith('-A ')) rules++;
  }
  return { kube, rules };
}

/** The iptables-wrapper rule: more KUBE- lines wins; else more rules; a tie (e.g. both empty) is nft. */
export function pickBackend(legacy: { kube: number; rules: number } | undefined, nft: { kube: number; rules: number } | undefined): IptablesBackend {
  if (!legacy) return 'nft';
  if (!nft) return 'legacy';
  if (legacy.kube !== nft.kube) return legacy.kube > nft.kube ? 'legacy' : 'nft';
  return legacy.rules > nft.rules ? 'legacy' : 'nft';
}

export async function detectBackend(
  exec: (cmd: string, args: string[]) => Promise<CommandResult>,
  onPath: (bin: string) => boolean = binaryOnPath,
): Promise<IptablesBackend> {
  const weigh = async (bin: string) => {
    if (!onPath(bin)) return undefined;
    const r = await exec(bin, []);
    return r.code === 0 ? saveWeight(r.stdout) : undefined;
  };
  const nftSave = onPath('iptables-nft-save') ? 'iptables-nft-save' : 'iptables-save';
  return pickBackend(await weigh('iptables-legacy-save'), await weigh(nftSave));
}
