// The last step of every volume rendered from API objects: the atomic write, with the pod's
// fsGroup applied when the agent is allowed to change ownership.
import { writeAtomically } from './atomic-writer.js';
import { fsGroupOf, groupReadable } from './ownership.js';
import type { Payload, VolumeContext } from './types.js';

export async function writeManaged(ctx: VolumeContext, dir: string, payload: Payload): Promise<boolean> {
  const fsGroup = ctx.privileged ? fsGroupOf(ctx.pod) : undefined;
  return writeAtomically(dir, groupReadable(payload, fsGroup), { gid: fsGroup });
}
