// This machine's capacity as the kubelet reports a node's: CPUs, memory, 110 pods, and the
// size of the data dir's filesystem as ephemeral storage when there is one to look at.
import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export function hostCapacity(dataDir?: string): Record<string, string> {
  const cap: Record<string, string> = { cpu: String(cpus().length), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110' };
  if (!dataDir) return cap;
  try {
    const fs = statfsSync(dataDir);
    cap['ephemeral-storage'] = `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`;
  } catch {
    /* no statfs: leave ephemeral storage unreported rather than guess */
  }
  return cap;
}
