// The node's volume manager: prepares every volume of a pod under the pod's directory
// before its containers start, answers which host paths each container mounts, re-renders
// the volumes whose content comes from API objects when those change, and removes all of
// a pod's volumes (unmounting its tmpfs) when the pod is gone.
import { lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Container, Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { Allocatable } from '../container/downward.js';
import { expand } from '../container/expansion.js';
import type { PodDirs } from '../container/pod-dirs.js';
import type { Mount } from '../runtime/types.js';
import { configMapPlugin } from './config-map.js';
import { downwardAPIPlugin } from './downward-api.js';
import { emptyDirPlugin } from './empty-dir.js';
import { hostPathPlugin } from './host-path.js';
import { SystemMounter, type Mounter } from './mounter.js';
import { persistentClaimPlugin } from './persistent-claim.js';
import { projectedPlugin } from './projected.js';
import { secretPlugin } from './secret.js';
import { VolumeSetUpError, type PreparedVolume, type VolumePlugin, type VolumeSources } from './types.js';

export const DEFAULT_PLUGINS: VolumePlugin[] = [
  emptyDirPlugin,
  hostPathPlugin,
  configMapPlugin,
  secretPlugin,
  downwardAPIPlugin,
  projectedPlugin,
  persistentClaimPlugin,
];

export interface VolumeManagerOptions {
  dirs: PodDirs;
  sources: VolumeSources;
  /** Default: the system's mount/umount. */
  mounter?: Mounter;
  /** Whether tmpfs may be mounted and files chowned to the pod's fsGroup; default: running as root. */
  privileged?: boolean;
  allocatable?: Allocatable;
  plugins?: VolumePlugin[];
}

const PROPAGATION = {
  None: 'PROPAGATION_PRIVATE',
  HostToContainer: 'PROPAGATION_HOST_TO_CONTAINER',
  Bidirectional: 'PROPAGATION_BIDIRECTIONAL',
} as const;

interface PodVolumes {
  pod: Pod;
  volumes: Map<string, PreparedVolume>;
}

function checkSubPath(sub: string, volume: string): void {
  if (path.isAbsolute(sub)) throw new Error(`subPath ${JSON.stringify(sub)} of volume "${volume}" must be a relative path`);
  if (sub.split('/').includes('..')) throw new Error(`subPath ${JSON.stringify(sub)} of volume "${volume}" must not contain '..'`);
}

export class VolumeManager {
  private readonly pods = new Map<string, PodVolumes>();
  /** The tail of each pod's chain of volume operations: two writers on one volume would race. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly mounter: Mounter;
  private readonly privileged: boolean;
  private readonly plugins: VolumePlugin[];

  constructor(private readonly opts: VolumeManagerOptions) {
    this.mounter = opts.mounter ?? new SystemMounter();
    this.privileged = opts.privileged ?? process.getuid?.() === 0;
    this.plugins = opts.plugins ?? DEFAULT_PLUGINS;
  }

  /** Runs `fn` after every earlier operation on the same pod's volumes has finished. */
  private serialized<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uid) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(uid, tail);
    void tail.then(() => {
      if (this.locks.get(uid) === tail) this.locks.delete(uid);
    });
    return run;
  }

  private plugin(v: Volume): VolumePlugin {
    const p = this.plugins.find((pl) => pl.handles(v));
    if (!p) {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw new VolumeSetUpError(v.name, `volume type ${kind} is not supported on this node`);
    }
    return p;
  }

  private async prepare(pod: Pod, v: Volume): Promise<PreparedVolume> {
    const plugin = this.plugin(v);
    try {
      return await plugin.setUp({
        pod,
        volume: v,
        dirs: this.opts.dirs,
        sources: this.opts.sources,
        mounter: this.mounter,
        privileged: this.privileged,
        allocatable: this.opts.allocatable,
      });
    } catch (err) {
      if (err instanceof VolumeSetUpError) throw err;
      throw new VolumeSetUpError(v.name, (err as Error).message);
    }
  }

  /**
   * Prepares every volume of the pod (idempotent: call it on each sync until it succeeds).
   * Throws a VolumeSetUpError, the kubelet's FailedMount message, naming the first volume
   * that could not be set up.
   */
  async setUpPod(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid;
    if (!uid) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no uid`);
    return this.serialized(uid, () => this.setUpLocked(uid, pod));
  }

  private async setUpLocked(uid: string, pod: Pod): Promise<void> {
    const entry = this.pods.get(uid) ?? { pod, volumes: new Map() };
    entry.pod = pod;
    this.pods.set(uid, entry);
    await mkdir(this.opts.dirs.volumes(uid), { recursive: true });
    for (const v of pod.spec?.volumes ?? []) {
      if (entry.volumes.has(v.name)) continue;
      entry.volumes.set(v.name, await this.prepare(pod, v));
    }
  }

  /** True once setUpPod succeeded for every volume of the pod. */
  isSetUp(pod: Pod): boolean {
    const entry = this.pods.get(pod.metadata?.uid ?? '');
    return !!entry && (pod.spec?.volumes ?? []).every((v) => entry.volumes.has(v.name));
  }

  /**
   * The CRI mounts for a container's volumeMounts. `env` is the container's environment,
   * for subPathExpr. Creates subPath directories that do not exist yet, as the kubelet does.
   */
  async mountsFor(pod: Pod, container: Container, env: { key: string; value: string }[] = []): Promise<Mount[]> {
    const entry = this.pods.get(pod.metadata?.uid ?? '');
    const out: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const vol = entry?.volumes.get(vm.name);
      if (!vol) throw new Error(`volume "${vm.name}" of container ${container.name} in pod ${pod.metadata?.namespace}/${pod.metadata?.name} is not set up`);
      let hostPath = vol.hostPath;
      let sub = vm.subPath ?? '';
      if (vm.subPathExpr) {
        const vars = new Map(env.map((e) => [e.key, e.value]));
        const missing = new Set<string>();
        sub = expand(vm.subPathExpr, (k) => {
          const v = vars.get(k);
          if (!v) missing.add(k);
          return v ?? '';
        });
        if (missing.size) throw new Error(`missing value for ${[...missing].sort().join(', ')}`);
      }
      if (sub) {
        checkSubPath(sub, vm.name);
        hostPath = path.join(vol.hostPath, sub);
        try {
          await lstat(hostPath);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          if (vol.readOnly) throw new Error(`subPath ${JSON.stringify(sub)} does not exist in read-only volume "${vm.name}"`);
          await mkdir(hostPath, { recursive: true, mode: 0o755 });
        }
        // A container can plant symlinks in a writable volume; a subPath that resolves
        // outside its volume would hand the container a piece of the host.
        const root = await realpath(vol.hostPath);
        const resolved = await realpath(hostPath);
        if (resolved !== root && !resolved.startsWith(root + path.sep))
          throw new Error(`subPath ${JSON.stringify(sub)} of volume "${vm.name}" resolves outside the volume (${resolved})`);
        // The checked path, not the one with links a container could still swap.
        hostPath = resolved;
      }
      const m: Mount = { containerPath: vm.mountPath, hostPath };
      if (vm.readOnly || vol.readOnly) m.readonly = true;
      const prop = PROPAGATION[(vm.mountPropagation ?? 'None') as keyof typeof PROPAGATION];
      if (!prop) throw new Error(`invalid mountPropagation ${JSON.stringify(vm.mountPropagation)} for volume "${vm.name}"`);
      if (prop !== 'PROPAGATION_PRIVATE') m.propagation = prop;
      out.push(m);
    }
    return out;
  }

  /**
   * Re-renders the pod's configMap, secret, downwardAPI and projected volumes from their
   * sources now (after a ConfigMap/Secret/Pod change). Unchanged content is not rewritten.
   * Pass the newest pod object: downwardAPI files follow its labels and annotations.
   */
  async resync(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (!this.pods.has(uid)) return;
    return this.serialized(uid, () => this.resyncLocked(uid, pod));
  }

  /** Re-renders a pod's volumes from the pod it was last given (its service-account token is due). */
  async resyncUid(uid: string): Promise<void> {
    const entry = this.pods.get(uid);
    if (entry) return this.resync(entry.pod);
  }

  private async resyncLocked(uid: string, pod: Pod): Promise<void> {
    const entry = this.pods.get(uid);
    if (!entry) return;
    entry.pod = pod;
    const errors: string[] = [];
    for (const v of pod.spec?.volumes ?? []) {
      if (!entry.volumes.get(v.name)?.rendered) continue;
      try {
        await this.prepare(pod, v);
      } catch (err) {
        // One broken source must not keep the others stale.
        errors.push((err as Error).message);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  /** Re-renders every pod that mounts this ConfigMap or Secret (an informer event). */
  async resyncSource(kind: 'configMap' | 'secret', namespace: string, name: string): Promise<void> {
    const refers = (v: Volume) =>
      kind === 'configMap'
        ? v.configMap?.name === name || !!v.projected?.sources?.some((s) => s.configMap?.name === name)
        : v.secret?.secretName === name || !!v.projected?.sources?.some((s) => s.secret?.name === name);
    const errors: string[] = [];
    for (const { pod } of this.pods.values()) {
      if (pod.metadata?.namespace !== namespace || !(pod.spec?.volumes ?? []).some(refers)) continue;
      try {
        await this.resync(pod);
      } catch (err) {
        errors.push(`${pod.metadata?.namespace}/${pod.metadata?.name}: ${(err as Error).message}`);
      }
    }
    if (errors.length) throw new Error(errors.join('; '));
  }

  /** Unmounts and deletes everything the pod had on the node. Safe to call repeatedly. */
  async tearDownPod(uid: string): Promise<void> {
    this.pods.delete(uid);
    return this.serialized(uid, () => this.tearDownLocked(uid));
  }

  private async tearDownLocked(uid: string): Promise<void> {
    const dir = this.opts.dirs.pod(uid);
    for (const m of await this.mounter.mountsUnder(dir)) await this.mounter.unmount(m);
    const left = await this.mounter.mountsUnder(dir);
    // Never delete through a mount that is still there: it may be shared with the host.
    if (left.length) throw new Error(`pod ${uid}: still mounted after unmounting: ${left.join(', ')}`);
    await rm(dir, { recursive: true, force: true });
  }

  /** Removes the directories of pods not in `keep` (after an agent restart). */
  async cleanupOrphans(keep: Set<string>): Promise<string[]> {
    let uids: string[];
    try {
      uids = await readdir(this.opts.dirs.podsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const removed: string[] = [];
    for (const uid of uids) {
      if (keep.has(uid)) continue;
      await this.tearDownPod(uid);
      removed.push(uid);
    }
    return removed;
  }
}
