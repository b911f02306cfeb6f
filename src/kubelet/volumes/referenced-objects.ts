// Watches of the single ConfigMaps or Secrets that this node's pods reference, as the
// kubelet's watch-based manager keeps them. A node may read only its own pods' objects, one
// by one: the Node authorizer allows a list or watch that selects one name
// (fieldSelector=metadata.name=<name>) and refuses a watch of them all. Each referenced
// object gets a watch of its own, shared by the pods using it and stopped when none does.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../api/types.js';
import type { ResourceClient } from '../../client/client.js';
import { SharedInformer } from '../../client/informer.js';
import type { Logger } from '../../util/log.js';

export type SourceKind = 'configMap' | 'secret';

/** The ConfigMaps and Secrets a pod's volumes and environment name, as `<kind>/<name>` in its namespace. */
export function podSources(pod: Pod): { kind: SourceKind; name: string }[] {
  const out = new Map<string, { kind: SourceKind; name: string }>();
  const add = (kind: SourceKind, name: string | undefined) => {
    if (name) out.set(`${kind}/${name}`, { kind, name });
  };
  const spec = pod.spec;
  for (const v of spec?.volumes ?? []) {
    add('configMap', v.configMap?.name);
    add('secret', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('configMap', s.configMap?.name);
      add('secret', s.secret?.name);
    }
  }
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const e of c.envFrom ?? []) {
      add('configMap', e.configMapRef?.name);
      add('secret', e.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      add('configMap', e.valueFrom?.configMapKeyRef?.name);
      add('secret', e.valueFrom?.secretKeyRef?.name);
    }
  }
  return [...out.values()];
}

interface Watched<T> {
  informer: SharedInformer<T>;
  pods: Set<string>;
}

export class ReferencedObjects<T extends KObject> {
  private readonly watches = new Map<string, Watched<T>>();
  /** pod uid → keys (`<namespace>/<name>`) it references */
  private readonly byPod = new Map<string, string[]>();

  constructor(
    private readonly api: ResourceClient<T>,
    /** Told when a watched object changes. */
    private readonly changed: (namespace: string, name: string) => void,
    private readonly log: Logger,
  ) {}

  /** Sets what a pod references: watches start for names not watched yet and stop for names no pod references any more. */
  setPod(uid: string, namespace: string, names: string[]): void {
    const keys = [...new Set(names)].map((n) => `${namespace}/${n}`);
    const before = this.byPod.get(uid) ?? [];
    if (before.length === keys.length && before.every((k, i) => k === keys[i])) return;
    this.byPod.set(uid, keys);
    for (const k of keys) this.watch(k).pods.add(uid);
    for (const k of before) if (!keys.includes(k)) this.release(k, uid);
  }

  forgetPod(uid: string): void {
    for (const k of this.byPod.get(uid) ?? []) this.release(k, uid);
    this.byPod.delete(uid);
  }

  /** The watched object, or undefined when it is not watched or not seen yet. */
  get(namespace: string, name: string): T | undefined {
    return this.watches.get(`${namespace}/${name}`)?.informer.get(name, namespace);
  }

  stop(): void {
    for (const w of this.watches.values()) w.informer.stop();
    this.watches.clear();
    this.byPod.clear();
  }

  private watch(key: string): Watched<T> {
    let w = this.watches.get(key);
    if (w) return w;
    const [namespace, name] = key.split('/') as [string, string];
    const informer = new SharedInformer<T>(this.api, {
      namespace,
      fieldSelector: `metadata.name=${name}`,
      onError: (err) => this.log.warn('watch of a referenced object failed', { resource: this.api.type.resource, object: key, error: (err as Error).message }),
    });
    informer.addEventHandler({
      onUpdate: (old, cur) => {
        if (old.metadata?.resourceVersion !== cur.metadata?.resourceVersion) this.changed(namespace, name);
      },
    });
    informer.start();
    w = { informer, pods: new Set() };
    this.watches.set(key, w);
    return w;
  }

  private release(key: string, uid: string): void {
    const w = this.watches.get(key);
    if (!w) return;
    w.pods.delete(uid);
    if (w.pods.size) return;
    w.informer.stop();
    this.watches.delete(key);
  }
}
