// What each node may read, as the Node authorizer's graph: the pods bound to a node, and
// through them the Secrets, ConfigMaps, PersistentVolumeClaims (and their volumes) and
// service accounts they use. Kept current from the watch cache.
import type { KObject } from '../../../api/types.js';
import type { WatchCache } from '../../watch-cache.js';
import { CacheFollower } from '../cache-follower.js';

/** `<resource>/<namespace>/<name>` of everything a pod refers to. */
export function podReferences(pod: KObject): string[] {
  const ns = pod.metadata?.namespace ?? '';
  const spec = pod.spec ?? {};
  const out = new Set<string>();
  const add = (res: string, name: unknown) => {
    if (typeof name === 'string' && name) out.add(`${res}/${ns}/${name}`);
  };
  add('serviceaccounts', spec.serviceAccountName || 'default');
  for (const s of spec.imagePullSecrets ?? []) add('secrets', s?.name);
  for (const v of spec.volumes ?? []) {
    add('secrets', v?.secret?.secretName);
    add('configmaps', v?.configMap?.name);
    add('persistentvolumeclaims', v?.persistentVolumeClaim?.claimName);
    if (v?.ephemeral) add('persistentvolumeclaims', `${pod.metadata?.name}-${v.name}`);
    for (const src of v?.projected?.sources ?? []) {
      add('secrets', src?.secret?.name);
      add('configmaps', src?.configMap?.name);
    }
    for (const ref of [v?.csi?.nodePublishSecretRef, v?.cephfs?.secretRef, v?.rbd?.secretRef, v?.iscsi?.secretRef, v?.flexVolume?.secretRef])
      add('secrets', ref?.name);
    add('secrets', v?.azureFile?.secretName);
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.envFrom ?? []) {
      add('secrets', e?.secretRef?.name);
      add('configmaps', e?.configMapRef?.name);
    }
    for (const e of c?.env ?? []) {
      add('secrets', e?.valueFrom?.secretKeyRef?.name);
      add('configmaps', e?.valueFrom?.configMapKeyRef?.name);
    }
  }
  return [...out];
}

export class NodeGraph {
  /** pod key → its node and references */
  private readonly pods = new Map<string, { node: string; refs: string[] }>();
  /** reference → node → number of that node's pods using it */
  private readonly users = new Map<string, Map<string, number>>();
  /** PersistentVolume name → claims bound to it (`<namespace>/<name>`) */
  private readonly claimsOfVolume = new Map<string, Set<string>>();
  private readonly volumeOfClaim = new Map<string, string>();
  private readonly followers: CacheFollower[];

  constructor(cache: WatchCache) {
    this.followers = [
      new CacheFollower(cache, '/registry/pods/', {
        put: (k, o) => this.putPod(k, o),
        remove: (k) => this.removePod(k),
        reset: () => {
          for (const k of [...this.pods.keys()]) this.removePod(k);
        },
      }),
      new CacheFollower(cache, '/registry/persistentvolumeclaims/', {
        put: (_k, o) => this.putClaim(`${o.metadata?.namespace}/${o.metadata?.name}`, o.spec?.volumeName),
        remove: (_k, o) => this.putClaim(`${o.metadata?.namespace}/${o.metadata?.name}`, undefined),
        reset: () => {
          this.claimsOfVolume.clear();
          this.volumeOfClaim.clear();
        },
      }),
    ];
  }

  start(): void {
    for (const f of this.followers) f.start();
  }

  stop(): void {
    for (const f of this.followers) f.stop();
  }

  private count(ref: string, node: string, delta: number): void {
    let m = this.users.get(ref);
    if (!m) this.users.set(ref, (m = new Map()));
    const n = (m.get(node) ?? 0) + delta;
    if (n > 0) m.set(node, n);
    else m.delete(node);
    if (!m.size) this.users.delete(ref);
  }

  private putPod(key: string, pod: KObject): void {
    this.removePod(key);
    const node = pod.spec?.nodeName;
    if (typeof node !== 'string' || !node) return;
    const refs = [`pods/${pod.metadata?.namespace}/${pod.metadata?.name}`, ...podReferences(pod)];
    this.pods.set(key, { node, refs });
    for (const r of refs) this.count(r, node, 1);
  }

  private removePod(key: string): void {
    const old = this.pods.get(key);
    if (!old) return;
    this.pods.delete(key);
    for (const r of old.refs) this.count(r, old.node, -1);
  }

  private putClaim(claim: string, volume: unknown): void {
    const old = this.volumeOfClaim.get(claim);
    if (old) {
      this.claimsOfVolume.get(old)?.delete(claim);
      if (!this.claimsOfVolume.get(old)?.size) this.claimsOfVolume.delete(old);
      this.volumeOfClaim.delete(claim);
    }
    if (typeof volume !== 'string' || !volume) return;
    this.volumeOfClaim.set(claim, volume);
    let s = this.claimsOfVolume.get(volume);
    if (!s) this.claimsOfVolume.set(volume, (s = new Set()));
    s.add(claim);
  }

  /** Whether a pod bound to `node` uses the object (for PersistentVolumes: through a claim it uses). */
  hasPath(node: string, resource: string, namespace: string | undefined, name: string): boolean {
    if (resource === 'persistentvolumes') {
      for (const claim of this.claimsOfVolume.get(name) ?? []) if (this.users.get(`persistentvolumeclaims/${claim}`)?.has(node)) return true;
      return false;
    }
    return !!this.users.get(`${resource}/${namespace ?? ''}/${name}`)?.has(node);
  }

  /** The node a pod is bound to, if the graph knows the pod. */
  nodeOfPod(namespace: string, name: string): string | undefined {
    return this.pods.get(`/registry/pods/${namespace}/${name}`)?.node;
  }
}
