// Writes a volume's files so that a container never sees a half-updated set, as the
// kubelet's AtomicWriter does: each version goes into a fresh hidden timestamped
// directory, the `..data` symlink is switched to it by one rename(2), and the names the
// user sees are symlinks through `..data`. Containers therefore see updates on their own.
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chownTree } from './ownership.js';
import type { Payload } from './types.js';

export const DATA_DIR_NAME = '..data';
const DATA_DIR_TMP_NAME = '..data_tmp';

/** Rejects paths that could escape the volume or collide with the writer's own names. */
export function validatePayloadPath(p: string): void {
  if (!p) throw new Error('invalid path: must not be empty');
  if (path.isAbsolute(p)) throw new Error(`invalid path ${JSON.stringify(p)}: must be relative`);
  if (p.length > 4096) throw new Error(`invalid path ${JSON.stringify(p.slice(0, 40))}…: too long`);
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) throw new Error(`invalid path ${JSON.stringify(p)}: must not contain '..'`);
  if (p.startsWith('..')) throw new Error(`invalid path ${JSON.stringify(p)}: must not start with '..'`);
}

function timestampPrefix(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`;
}

async function readLinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await readlink(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw err;
  }
}

/** True when the directory already holds exactly this payload (then nothing is rewritten). */
async function sameContent(dir: string, payload: Payload): Promise<boolean> {
  const seen = new Set<string>();
  const walk = async (rel: string): Promise<boolean> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!(await walk(r))) return false;
        continue;
      }
      const want = payload.get(r);
      if (!want) return false;
      const st = await lstat(path.join(dir, r));
      if ((st.mode & 0o7777) !== want.mode) return false;
      if (!(await readFile(path.join(dir, r))).equals(want.data)) return false;
      seen.add(r);
    }
    return true;
  };
  try {
    return (await walk('')) && seen.size === payload.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Makes `target` hold exactly `payload`. Returns false when it already did.
 * Only `target`'s own entries are touched; it is created if missing.
 */
export async function writeAtomically(target: string, payload: Payload, opts: { gid?: number } = {}): Promise<boolean> {
  for (const p of payload.keys()) validatePayloadPath(p);
  await mkdir(target, { recursive: true });
  const dataLink = path.join(target, DATA_DIR_NAME);
  const oldTs = await readLinkOrUndefined(dataLink);
  if (oldTs && (await sameContent(path.join(target, oldTs), payload))) return false;

  const tsDir = await mkdtemp(path.join(target, timestampPrefix()));
  // mkdtemp makes 0700; the container may run as any user.
  await chmod(tsDir, 0o755);
  for (const [rel, f] of payload) {
    const file = path.join(tsDir, rel);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await writeFile(file, f.data);
    await chmod(file, f.mode);
  }

  // Ownership is settled before the version becomes visible through ..data.
  if (opts.gid !== undefined) await chownTree(tsDir, opts.gid, false);

  const tmpLink = path.join(target, DATA_DIR_TMP_NAME);
  await rm(tmpLink, { force: true });
  await symlink(path.basename(tsDir), tmpLink);
  await rename(tmpLink, dataLink);

  // The user-visible names: one symlink per top-level entry of the payload.
  const top = new Set([...payload.keys()].map((p) => p.split('/')[0]!));
  for (const name of top) {
    const visible = path.join(target, name);
    const want = path.join(DATA_DIR_NAME, name);
    const have = await readLinkOrUndefined(visible);
    if (have === want) continue;
    await rm(visible, { recursive: true, force: true });
    await symlink(want, visible);
  }
  const current = path.basename(tsDir);
  for (const e of await readdir(target)) {
    if (e.startsWith('..')) {
      // Older versions (and any a crash left behind) go; nothing can reach them any more.
      if (e !== DATA_DIR_NAME && e !== current) await rm(path.join(target, e), { recursive: true, force: true });
      continue;
    }
    if (top.has(e)) continue;
    // Only the writer's own symlinks are removed; anything else here is not ours to delete.
    if ((await lstat(path.join(target, e))).isSymbolicLink()) await unlink(path.join(target, e));
  }
  return true;
}
