// downwardAPI volume: pod fields and container resources as files, re-rendered when the
// pod's labels or annotations change.
import type { DownwardAPIVolumeFile, Pod } from 'kubernetes-types/core/v1.js';
import { containerResourceValue, podFieldValue, type Allocatable } from '../container/downward.js';
import { fileMode } from './key-projection.js';
import type { Payload, PreparedVolume, VolumeContext, VolumePlugin } from './types.js';
import { writeManaged } from './write-managed.js';

export const DOWNWARD_API = 'kubernetes.io/downward-api';

export function downwardAPIPayload(
  pod: Pod,
  items: DownwardAPIVolumeFile[] | undefined,
  defaultMode: number | undefined,
  allocatable?: Allocatable,
  payload: Payload = new Map(),
): Payload {
  for (const it of items ?? []) {
    let text: string;
    if (it.fieldRef) text = podFieldValue(pod, it.fieldRef.fieldPath);
    else if (it.resourceFieldRef) text = containerResourceValue(it.resourceFieldRef, pod, undefined, allocatable);
    else throw new Error(`downwardAPI item ${JSON.stringify(it.path)} has neither fieldRef nor resourceFieldRef`);
    payload.set(it.path, { data: Buffer.from(text, 'utf8'), mode: fileMode(it.mode, defaultMode) });
  }
  return payload;
}

export const downwardAPIPlugin: VolumePlugin = {
  name: DOWNWARD_API,
  handles: (v) => !!v.downwardAPI,
  async setUp(ctx: VolumeContext): Promise<PreparedVolume> {
    const dir = ctx.dirs.volume(ctx.pod.metadata!.uid!, DOWNWARD_API, ctx.volume.name);
    const src = ctx.volume.downwardAPI!;
    await writeManaged(ctx, dir, downwardAPIPayload(ctx.pod, src.items, src.defaultMode, ctx.allocatable));
    return { hostPath: dir, readOnly: true, rendered: true };
  },
};
