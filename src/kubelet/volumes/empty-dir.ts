// emptyDir: a directory that lives as long as the pod; `medium: Memory` puts it on a tmpfs
// of at most sizeLimit bytes (needs root to mount; without it, a plain directory).
import { chmod, mkdir } from 'node:fs/promises';
import { value } from '../../api/core/resources.js';
import { chownTree, fsGroupOf } from './ownership.js';
import type { PreparedVolume, VolumeContext, VolumePlugin } from './types.js';

export const EMPTY_DIR = 'kubernetes.io/empty-dir';

export const emptyDirPlugin: VolumePlugin = {
  name: EMPTY_DIR,
  handles: (v) => !!v.emptyDir,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    const dir = ctx.dirs.volume(ctx.pod.metadata!.uid!, EMPTY_DIR, ctx.volume.name);
    await mkdir(dir, { recursive: true });
    const src = ctx.volume.emptyDir!;
    if (src.medium === 'Memory' && ctx.privileged) {
      const mounted = (await ctx.mounter.mountsUnder(dir)).includes(dir);
      if (!mounted) await ctx.mounter.mountTmpfs(dir, src.sizeLimit !== undefined ? value(src.sizeLimit) : undefined);
    }
    // World-writable with the sticky bit, as the kubelet makes it: containers run as any user.
    await chmod(dir, 0o1777);
    const fsGroup = fsGroupOf(ctx.pod);
    if (fsGroup !== undefined && ctx.privileged) await chownTree(dir, fsGroup, true);
    return { hostPath: dir, readOnly: false, rendered: false };
  },
};
