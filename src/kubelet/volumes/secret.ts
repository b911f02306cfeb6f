// secret volume: the Secret's keys as files, on a tmpfs when the agent may mount (so that
// secrets never reach the node's disk), written atomically and re-rendered on change.
import { mkdir } from 'node:fs/promises';
import type { Pod, SecretVolumeSource } from 'kubernetes-types/core/v1.js';
import { projectKeys, secretData } from './key-projection.js';
import type { Payload, PreparedVolume, VolumeContext, VolumePlugin, VolumeSources } from './types.js';
import { writeManaged } from './write-managed.js';

export const SECRET = 'kubernetes.io/secret';

export async function secretPayload(
  pod: Pod,
  src: { name?: string; secretName?: string; items?: SecretVolumeSource['items']; optional?: boolean },
  sources: VolumeSources,
  payload: Payload = new Map(),
  defaultMode?: number,
): Promise<Payload> {
  const name = src.secretName ?? src.name ?? '';
  const s = await sources.secret(pod.metadata!.namespace!, name);
  if (!s) {
    if (src.optional) return payload;
    throw new Error(`secret "${name}" not found`);
  }
  projectKeys(payload, secretData(s), src.items, defaultMode, !!src.optional, 'secret');
  return payload;
}

/** Creates the volume's directory, on its own tmpfs when mounting is possible. */
export async function memoryBackedDir(ctx: VolumeContext, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (ctx.privileged && !(await ctx.mounter.mountsUnder(dir)).includes(dir)) await ctx.mounter.mountTmpfs(dir);
}

export const secretPlugin: VolumePlugin = {
  name: SECRET,
  handles: (v) => !!v.secret,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    const dir = ctx.dirs.volume(ctx.pod.metadata!.uid!, SECRET, ctx.volume.name);
    const src = ctx.volume.secret!;
    // Fetch first: a missing secret leaves nothing mounted behind.
    const payload = await secretPayload(ctx.pod, src, ctx.sources, new Map(), src.defaultMode);
    await memoryBackedDir(ctx, dir);
    await writeManaged(ctx, dir, payload);
    return { hostPath: dir, readOnly: true, rendered: true };
  },
};
