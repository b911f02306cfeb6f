// `skiff images import FILE…`: loads archives into the containerd that the node agent on
// this host supervises (found under --data-dir), one line of progress per file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { containerdLayout } from '../kubelet/runtime/containerd-config.js';
import { ctrImport } from '../kubelet/runtime/image-import.js';
import { defaultDataDir } from './data-dir.js';

export interface ImagesImportFlags {
  dataDir?: string;
  containerRuntimeEndpoint?: string;
}

/** The socket to import into: the flag's, or the supervised containerd's under the data dir. */
export function importSocket(flags: ImagesImportFlags): string {
  if (flags.containerRuntimeEndpoint) return flags.containerRuntimeEndpoint.replace(/^unix:\/\//, '');
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const socket = containerdLayout(join(dataDir, 'agent')).socket;
  if (!existsSync(socket))
    throw new Error(`no containerd socket at ${socket}: is \`skiff server\` (or \`skiff agent\`) running with --data-dir ${dataDir} and the cri runtime?`);
  return socket;
}

/** The snapshotter the supervised containerd was configured with (overlayfs or native). */
function snapshotterOf(socket: string): string {
  try {
    const cfg = join(socket, '..', 'config.toml');
    const m = /snapshotter = "([^"]+)"/.exec(readFileSync(cfg, 'utf8'));
    return m?.[1] ?? 'overlayfs';
  } catch {
    return 'overlayfs';
  }
}

export async function runImagesImport(files: string[], flags: ImagesImportFlags): Promise<void> {
  if (!files.length) throw new Error('name at least one archive');
  for (const f of files) if (!existsSync(f) || !statSync(f).isFile()) throw new Error(`${f}: no such file`);
  const socket = importSocket(flags);
  const target = { socket, snapshotter: snapshotterOf(socket), stateDir: join(socket, '..') };
  for (const [i, f] of files.entries()) {
    const size = (statSync(f).size / 1024 / 1024).toFixed(1);
    process.stdout.write(`[${i + 1}/${files.length}] importing ${f} (${size} MB)…\n`);
    const t0 = Date.now();
    const names = await ctrImport(target, resolve(f));
    process.stdout.write(`[${i + 1}/${files.length}] ${f}: ${names.length ? names.join(', ') : 'imported'} in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
  }
}
