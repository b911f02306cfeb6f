// projected volume: configMaps, secrets, downward API items and service-account tokens
// merged into one directory (tmpfs when possible: it may hold secrets), written atomically.
import type { Pod, ProjectedVolumeSource } from 'kubernetes-types/core/v1.js';
import type { Allocatable } from '../container/downward.js';
import { configMapPayload } from './config-map.js';
import { downwardAPIPayload } from './downward-api.js';
import { fileMode } from './key-projection.js';
import { memoryBackedDir, secretPayload } from './secret.js';
import type { Payload, PreparedVolume, VolumeContext, VolumePlugin, VolumeSources } from './types.js';
import { writeManaged } from './write-managed.js';

export const PROJECTED = 'kubernetes.io/projected';
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;
/** What a token file holds when no token source is available; no server accepts it. */
export const PLACEHOLDER_TOKEN = 'skiff-placeholder-token: no TokenRequest source configured on this node';

export async function projectedPayload(pod: Pod, src: ProjectedVolumeSource, sources: VolumeSources, allocatable?: Allocatable): Promise<Payload> {
  const payload: Payload = new Map();
  const defaultMode = src.defaultMode;
  for (const s of src.sources ?? []) {
    if (s.configMap) await configMapPayload(pod, { ...s.configMap }, sources, payload, defaultMode);
    else if (s.secret) await secretPayload(pod, s.secret, sources, payload, defaultMode);
    else if (s.downwardAPI) downwardAPIPayload(pod, s.downwardAPI.items, defaultMode, allocatable, payload);
    else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      const token = sources.serviceAccountToken
        ? await sources.serviceAccountToken(pod, { audience: t.audience, expirationSeconds: t.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION_SECONDS })
        : PLACEHOLDER_TOKEN;
      // With an fsGroup the token is private to its owner, as the kubelet makes it.
      const mode = pod.spec?.securityContext?.fsGroup !== undefined ? 0o600 : fileMode(undefined, defaultMode ?? 0o600);
      payload.set(t.path, { data: Buffer.from(token, 'utf8'), mode });
    }
  }
  return payload;
}

export const projectedPlugin: VolumePlugin = {
  name: PROJECTED,
  handles: (v) => !!v.projected,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    const dir = ctx.dirs.volume(ctx.pod.metadata!.uid!, PROJECTED, ctx.volume.name);
    const payload = await projectedPayload(ctx.pod, ctx.volume.projected!, ctx.sources, ctx.allocatable);
    await memoryBackedDir(ctx, dir);
    await writeManaged(ctx, dir, payload);
    return { hostPath: dir, readOnly: true, rendered: true };
  },
};
