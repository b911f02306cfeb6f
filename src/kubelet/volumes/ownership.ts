// fsGroup: the kubelet gives the pod's fsGroup to the files of volumes it manages, so that
// a container running as any user in that group can use them — group-owned, group
// readable (read-only volumes) or writable (emptyDir), directories setgid so new files
// inherit the group.
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Payload } from './types.js';

export function fsGroupOf(pod: Pod): number | undefined {
  return pod.spec?.securityContext?.fsGroup ?? undefined;
}

/** Read-only volume files become group-readable, as the kubelet's ownership pass leaves them. */
export function groupReadable(payload: Payload, fsGroup: number | undefined): Payload {
  if (fsGroup === undefined) return payload;
  return new Map([...payload].map(([k, f]) => [k, { data: f.data, mode: f.mode | 0o440 }]));
}

/** Gives `dir` and everything under it (symlinks themselves, not their targets) to `gid`. */
export async function chownTree(dir: string, gid: number, writable: boolean): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p);
    await lchown(p, st.uid, gid);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      await chmod(p, (st.mode & 0o7777) | 0o2000 | 0o110 | (writable ? 0o660 : 0o440));
      for (const e of await readdir(p)) await walk(path.join(p, e));
    } else await chmod(p, (st.mode & 0o7777) | (writable ? 0o660 : 0o440));
  };
  await walk(dir);
}
