// hostPath: a path on the node itself, checked (or created) according to its type.
import { lstat, mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { PreparedVolume, VolumeContext, VolumePlugin } from './types.js';

export const HOST_PATH = 'kubernetes.io/host-path';

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`hostPath type check failed: ${p}: ${(err as Error).message}`);
  }
}

/** Applies a hostPath type: creates what the *OrCreate types ask for, else checks what is there. */
export async function checkHostPathType(p: string, type: string | undefined): Promise<void> {
  if (!type) return;
  let st = await statOrUndefined(p);
  if (!st && type === 'DirectoryOrCreate') {
    await mkdir(p, { recursive: true, mode: 0o755 });
    return;
  }
  if (!st && type === 'FileOrCreate') {
    try {
      await (await open(p, 'a', 0o644)).close();
    } catch (err) {
      throw new Error(`hostPath type check failed: creating file ${p}: ${(err as Error).message}`);
    }
    st = await lstat(p);
  }
  switch (type) {
    case 'DirectoryOrCreate':
    case 'Directory':
      if (!st?.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'FileOrCreate':
    case 'File':
      if (!st?.isFile()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new Error(`hostPath type check failed: ${p} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${p} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new Error(`hostPath type check failed: ${p} is not a block device`);
      return;
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}

export const hostPathPlugin: VolumePlugin = {
  name: HOST_PATH,
  handles: (v) => !!v.hostPath,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    const src = ctx.volume.hostPath!;
    await checkHostPathType(src.path, src.type);
    return { hostPath: src.path, readOnly: false, rendered: false };
  },
};
