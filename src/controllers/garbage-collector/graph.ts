// The garbage collector's view of the cluster: one informer per served resource, each
// indexed by uid and by the uids of its owners, so "does this owner exist" and "who
// depends on this object" are index lookups. Resources added later (CRDs) are picked up
// when the registry changes.
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ResourceRegistry } from '../../api/registry.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import type { Client } from '../../client/client.js';
import type { EventHandlers, SharedInformer } from '../../client/informer.js';
import type { SharedInformerFactory } from '../../client/informer-factory.js';
import type { ResourceType } from '../../client/resources.js';
import { isNotFound } from '../../client/transport.js';

export const UID_INDEX = 'gc-uid';
export const OWNER_INDEX = 'gc-owner-uid';
const uidIndex = (o: KObject): string[] => (o.metadata?.uid ? [o.metadata.uid] : []);
const ownerIndex = (o: KObject): string[] => ((o.metadata?.ownerReferences ?? []) as OwnerReference[]).map((r) => r.uid);

/** Kubernetes' collector ignores these: nothing owns them in practice and they churn. */
const IGNORED = new Set(['events', 'events.events.k8s.io']);

export interface Node {
  type: ResourceType;
  informer: SharedInformer<KObject>;
}

export function gvr(t: { group: string; version: string; resource: string }): string {
  return `${t.group}/${t.version}/${t.resource}`;
}

export class Graph {
  /** by gvr */
  readonly nodes = new Map<string, Node>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly client: Client,
    private readonly registry: ResourceRegistry,
    private readonly factory: SharedInformerFactory,
    private readonly handlers: (type: ResourceType) => EventHandlers<KObject>,
  ) {
    this.refresh();
    this.unsubscribe = registry.onChange(() => this.refresh());
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private watchable(d: ResourceDef): boolean {
    const verbs = d.verbs ?? ['list', 'watch', 'delete'];
    if (!verbs.includes('list') || !verbs.includes('watch') || !verbs.includes('delete')) return false;
    if (IGNORED.has(d.group ? `${d.plural}.${d.group}` : d.plural)) return false;
    // One version per stored resource is enough: the others are the same objects.
    try {
      return this.registry.storage(d).identity;
    } catch {
      return false;
    }
  }

  private refresh(): void {
    for (const d of this.registry.all()) {
      if (!this.watchable(d)) continue;
      const type: ResourceType = { group: d.group, version: d.version, resource: d.plural, namespaced: d.namespaced, kind: d.kind };
      const key = gvr(type);
      if (this.nodes.has(key)) continue;
      try {
        const informer = this.factory.informerFor(type);
        informer.addIndexers({ [UID_INDEX]: uidIndex, [OWNER_INDEX]: ownerIndex });
        informer.addEventHandler(this.handlers(type));
        this.nodes.set(key, { type, informer });
      } catch {
        /* the factory is stopped: we are shutting down */
      }
    }
  }

  /** The resource an ownerReference names, by apiVersion and kind. */
  typeOf(ref: { apiVersion: string; kind: string }): Node | undefined {
    const def = this.registry.byKind(ref.apiVersion, ref.kind);
    if (!def) return undefined;
    for (const n of this.nodes.values()) if (n.type.kind === def.kind && n.type.group === def.group) return n;
    return undefined;
  }

  /** Every object, of any resource, with an ownerReference to `uid`. */
  dependents(uid: string): { node: Node; obj: KObject }[] {
    const out: { node: Node; obj: KObject }[] = [];
    for (const node of this.nodes.values()) for (const obj of node.informer.store.byIndex(OWNER_INDEX, uid)) out.push({ node, obj });
    return out;
  }

  /**
   * The owner as it is now: from the cache, else from the API (the owner's informer may lag
   * behind the dependent's). undefined: absent, or a different object under that name.
   * 'unknown': a kind this server does not serve — never treated as gone.
   */
  async owner(ref: OwnerReference, namespace: string | undefined): Promise<KObject | undefined | 'unknown'> {
    const node = this.typeOf(ref);
    if (!node) return 'unknown';
    const cached = node.informer.store.byIndex(UID_INDEX, ref.uid)[0];
    if (cached) return cached;
    try {
      const live = await this.client.resource(node.type).get(ref.name, node.type.namespaced ? namespace : undefined);
      return live.metadata?.uid === ref.uid ? live : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
