// configMap volume: the ConfigMap's keys as files, written atomically and re-rendered when
// the ConfigMap changes.
import type { ConfigMapVolumeSource, Pod } from 'kubernetes-types/core/v1.js';
import { configMapData, projectKeys } from './key-projection.js';
import type { Payload, PreparedVolume, VolumeContext, VolumePlugin, VolumeSources } from './types.js';
import { writeManaged } from './write-managed.js';

export const CONFIG_MAP = 'kubernetes.io/configmap';

/** The files a configMap source contributes; an absent optional ConfigMap contributes none. */
export async function configMapPayload(
  pod: Pod,
  src: ConfigMapVolumeSource,
  sources: VolumeSources,
  payload: Payload = new Map(),
  defaultMode = src.defaultMode,
): Promise<Payload> {
  const name = src.name ?? '';
  const cm = await sources.configMap(pod.metadata!.namespace!, name);
  if (!cm) {
    if (src.optional) return payload;
    throw new Error(`configmap "${name}" not found`);
  }
  projectKeys(payload, configMapData(cm), src.items, defaultMode, !!src.optional, 'configmap');
  return payload;
}

export const configMapPlugin: VolumePlugin = {
  name: CONFIG_MAP,
  handles: (v) => !!v.configMap,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    const dir = ctx.dirs.volume(ctx.pod.metadata!.uid!, CONFIG_MAP, ctx.volume.name);
    await writeManaged(ctx, dir, await configMapPayload(ctx.pod, ctx.volume.configMap!, ctx.sources));
    return { hostPath: dir, readOnly: true, rendered: true };
  },
};
