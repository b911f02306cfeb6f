// Where `skiff` keeps its state when --data-dir is not given, as k3s does: one directory for
// a server and for an agent alike (the node agent's files under DATA_DIR/agent), so that
// `skiff images import` finds the node's containerd whichever of the two runs here.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/skiff' : join(homedir(), '.local', 'share', 'skiff');
}
