// The apiserver's CRD controller: follows CustomResourceDefinitions in the watch cache and
// keeps the ResourceRegistry serving what they define — names checked and accepted,
// NamesAccepted/Established conditions written, one ResourceDef per served version added
// (so discovery, kubectl and OpenAPI see them at once) and removed again. A deleted CRD
// first has all its objects deleted, then its cleanup finalizer dropped.
import { CLEANUP_FINALIZER, conditionOf, setCondition } from '../../api/apiextensions/index.js';
import type { ResourceRegistry } from '../../api/registry.js';
import type { KObject, ResourceDef } from '../../api/types.js';
import { jsonEqual } from '../../api/validation.js';
import type { ResourceStorage } from '../rest/resource-store.js';
import type { CachedEvent } from '../watch-cache.js';
import { customResources, versionPriority } from './custom-resource.js';
import { formatTime } from '../../util/time.js';

const PREFIX = '/registry/customresourcedefinitions/';
const RETRY_MS = 500;

interface Served {
  fingerprint: string;
  group: string;
  plural: string;
  versions: string[];
}

export class CRDController {
  private readonly served = new Map<string, Served>();
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;
  private stopped = false;
  private unwatch?: () => void;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly rs: ResourceStorage,
    private readonly registry: ResourceRegistry,
    private readonly log: (msg: string, fields?: Record<string, unknown>) => void = () => {},
  ) {}

  private get crdDef(): ResourceDef {
    const def = this.registry.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (!def) throw new Error('the CustomResourceDefinition resource is not registered');
    return def;
  }

  /** Serves every stored CRD before returning, then follows changes. */
  async start(): Promise<void> {
    const cache = this.rs.cache;
    const from = cache.revision;
    const unwatch = cache.watch(PREFIX, from, {
      deliver: (ev: CachedEvent) => this.enqueue(ev.key.slice(PREFIX.length)),
      terminate: () => {},
    });
    if (unwatch) this.unwatch = unwatch;
    const { keys } = cache.list(PREFIX, PREFIX);
    for (const key of keys) this.enqueue(key.slice(PREFIX.length));
    await this.idle;
  }

  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** Resolves when nothing is queued (for tests and start-up). */
  settled(): Promise<void> {
    return this.idle;
  }

  private enqueue(name: string): void {
    if (this.stopped) return;
    this.pending.add(name);
    if (!this.running) {
      this.running = true;
      // Not inside the watch cache's delivery: reconciling writes to the store.
      this.idle = Promise.resolve().then(() => this.drain());
    }
  }

  private later(name: string): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(name);
    }, RETRY_MS);
    this.timers.add(t);
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.size && !this.stopped) {
        const name = this.pending.values().next().value as string;
        this.pending.delete(name);
        try {
          await this.reconcile(name);
        } catch (err) {
          this.log('crd reconcile failed', { crd: name, error: (err as Error).message });
          this.later(name);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async reconcile(name: string): Promise<void> {
    const crd = this.rs.cache.get(PREFIX + name);
    if (!crd) {
      this.unserve(name);
      return;
    }
    if (crd.metadata?.deletionTimestamp) {
      await this.cleanup(name, crd);
      return;
    }
    const withStatus = this.desiredStatus(crd);
    if (!jsonEqual(withStatus.status, crd.status)) await this.writeStatus(name, withStatus.status);
    if (conditionOf(withStatus, 'Established')?.status === 'True') this.serve(name, withStatus);
    else this.unserve(name);
  }

  /** Names in use by other CRDs of the same group block this one's (NamesAccepted=False). */
  private conflict(crd: KObject): { reason: string; message: string } | undefined {
    const names = crd.spec.names ?? {};
    const { keys, objects } = this.rs.cache.list(PREFIX, PREFIX);
    for (const key of keys) {
      const other = objects.get(key)!;
      if (other.metadata?.name === crd.metadata?.name || other.spec?.group !== crd.spec.group) continue;
      const taken = other.status?.acceptedNames ?? {};
      if (names.plural && (taken.plural === names.plural || taken.singular === names.plural))
        return { reason: 'PluralConflict', message: `"${names.plural}" is already in use` };
      if (names.singular && (taken.plural === names.singular || taken.singular === names.singular))
        return { reason: 'SingularConflict', message: `"${names.singular}" is already in use` };
      for (const s of names.shortNames ?? [])
        if ((taken.shortNames ?? []).includes(s)) return { reason: 'ShortNamesConflict', message: `"${s}" is already in use` };
      if (names.kind && (taken.kind === names.kind || taken.listKind === names.kind))
        return { reason: 'KindConflict', message: `"${names.kind}" is already in use` };
      if (names.listKind && (taken.kind === names.listKind || taken.listKind === names.listKind))
        return { reason: 'ListKindConflict', message: `"${names.listKind}" is already in use` };
    }
    return undefined;
  }

  private desiredStatus(crd: KObject): KObject {
    const obj = structuredClone(crd) as KObject;
    const now = formatTime();
    const conflict = this.conflict(crd);
    const wasEstablished = conditionOf(crd, 'Established')?.status === 'True';
    if (conflict) {
      setCondition(obj, { type: 'NamesAccepted', status: 'False', ...conflict }, now);
      if (!wasEstablished) setCondition(obj, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' }, now);
      return obj;
    }
    const n = crd.spec.names;
    obj.status ??= {};
    obj.status.acceptedNames = {
      plural: n.plural,
      singular: n.singular,
      ...(n.shortNames?.length ? { shortNames: n.shortNames } : {}),
      kind: n.kind,
      listKind: n.listKind,
      ...(n.categories?.length ? { categories: n.categories } : {}),
    };
    setCondition(obj, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }, now);
    setCondition(obj, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }, now);
    return obj;
  }

  private async writeStatus(name: string, status: KObject['status']): Promise<void> {
    await this.rs.guaranteedUpdate(this.crdDef, undefined, name, (current) => {
      if (!current || current.metadata?.deletionTimestamp) return null;
      current.status = status;
      return current;
    });
  }

  private serve(name: string, crd: KObject, terminating = false): void {
    const fingerprint = JSON.stringify([crd.spec, crd.status?.acceptedNames, terminating]);
    const before = this.served.get(name);
    if (before?.fingerprint === fingerprint) return;
    const resources = customResources(crd);
    const group: string = crd.spec.group;
    const plural: string = resources[0]?.def.plural ?? crd.spec.names.plural;
    // Versions no longer served (or a renamed plural) go first; re-adding replaces the rest.
    if (before)
      for (const v of before.versions)
        if (before.plural !== plural || !resources.some((r) => r.def.version === v)) this.registry.remove(before.group, v, before.plural);
    for (const r of resources) {
      this.registry.remove(r.def.group, r.def.version, r.def.plural);
      this.registry.add(r.def, r.binding);
    }
    const groupInfo = this.registry.groups().find((g) => g.name === group);
    if (groupInfo) this.registry.prefer(group, [...groupInfo.versions].sort(versionPriority)[0]!);
    this.served.set(name, { fingerprint, group, plural, versions: resources.map((r) => r.def.version) });
    if (!before) this.log('serving custom resource', { crd: name, versions: resources.map((r) => r.def.version) });
  }

  private unserve(name: string): void {
    const s = this.served.get(name);
    if (!s) return;
    for (const v of s.versions) this.registry.remove(s.group, v, s.plural);
    this.served.delete(name);
    this.log('stopped serving custom resource', { crd: name });
  }

  /** Deletes every object of a CRD being deleted; drops the finalizer once none are left. */
  private async cleanup(name: string, crd: KObject): Promise<void> {
    if (!(crd.metadata!.finalizers ?? []).includes(CLEANUP_FINALIZER)) return;
    // Keep serving (creates refused) so the objects can still be read and deleted.
    const accepted = !!crd.status?.acceptedNames?.plural;
    if (accepted) this.serve(name, crd, true);
    const storageVersion = (crd.spec.versions as any[]).find((v) => v.storage === true)?.name;
    const plural = accepted ? crd.status.acceptedNames.plural : crd.spec.names.plural;
    const def = accepted ? this.registry.lookup(crd.spec.group, storageVersion, plural) : undefined;
    const prefix = `/registry/${crd.spec.group}/${plural}/`;
    await this.rs.cache.sync();
    const { keys, objects } = this.rs.cache.list(prefix, prefix);
    if (def && keys.length) {
      if (conditionOf(crd, 'Terminating')?.reason !== 'InstanceDeletionInProgress') {
        const obj = structuredClone(crd) as KObject;
        setCondition(
          obj,
          { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' },
          formatTime(),
        );
        await this.writeStatus(name, obj.status).catch(() => {});
      }
      for (const key of keys) {
        const meta = objects.get(key)!.metadata!;
        if (meta.deletionTimestamp) continue;
        try {
          await this.rs.delete(def, meta.namespace, meta.name, {});
        } catch (err) {
          if ((err as { code?: number }).code !== 404) throw err;
        }
      }
      await this.rs.cache.sync();
      if (this.rs.cache.list(prefix, prefix).keys.length) {
        // Objects held by their own finalizers: look again shortly.
        this.later(name);
        return;
      }
    }
    await this.rs.guaranteedUpdate(this.crdDef, undefined, name, (current) => {
      if (!current) return null;
      const finalizers = (current.metadata!.finalizers ?? []).filter((f: string) => f !== CLEANUP_FINALIZER);
      if (finalizers.length) current.metadata!.finalizers = finalizers;
      else delete current.metadata!.finalizers;
      return current;
    });
  }
}
