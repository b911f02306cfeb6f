// `skiff cleanup`: removes what Skiff made on this host (containers, pod network
// namespaces, iptables/nft rules, routes, bridge, VXLAN device), as k3s-killall.sh does.
import { resolve } from 'node:path';
import { cleanupHost } from '../kubelet/host-cleanup.js';
import { defaultDataDir } from './data-dir.js';

export interface CleanupFlags {
  dataDir?: string;
  cniBridge: string;
}

export async function runCleanup(flags: CleanupFlags): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("must run as root (it changes the host's network and mounts)");
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const report = await cleanupHost({ dataDir, bridge: flags.cniBridge });
  for (const r of report.removed) process.stdout.write(`removed ${r}\n`);
  for (const f of report.failed) process.stderr.write(`skiff cleanup: could not remove ${f}\n`);
  if (!report.removed.length && !report.failed.length) process.stdout.write('nothing to remove\n');
  if (report.failed.length) process.exitCode = 1;
}
