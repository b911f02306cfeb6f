// The resource registry: every served group/version/resource, where each is stored, and
// how versions that share storage convert. Built-ins register at start; custom resources
// are added and removed while the server runs, so discovery reads this on every request.
import type { KObject, ResourceDef } from './types.js';
import { apiVersionOf } from './types.js';

export interface StorageBinding {
  /** Key prefix, e.g. /registry/pods/ */
  prefix: string;
  /** Converts an object of the served version into the stored form. */
  toStorage(obj: KObject): KObject;
  /** Converts a stored object into the served version. */
  fromStorage(obj: KObject): KObject;
  /** True when served and stored forms are the same (no conversion needed). */
  identity: boolean;
}

export interface GroupInfo {
  name: string;
  /** Versions, preferred first. */
  versions: string[];
}

const identityBinding = (prefix: string): StorageBinding => ({ prefix, toStorage: (o) => o, fromStorage: (o) => o, identity: true });

function gvrKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

export class ResourceRegistry {
  private readonly defs = new Map<string, ResourceDef>();
  private readonly bindings = new Map<ResourceDef, StorageBinding>();
  private readonly preferred = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  /** Bumped on every change, so discovery documents can be cached and ETagged. */
  generation = 0;

  add(def: ResourceDef, binding?: Partial<StorageBinding> & { prefix?: string }): void {
    this.defs.set(gvrKey(def.group, def.version, def.plural), def);
    const prefix =
      binding?.prefix ?? (def.group.includes('.') && !isBuiltinGroup(def.group) ? `/registry/${def.group}/${def.plural}/` : `/registry/${def.plural}/`);
    this.bindings.set(
      def,
      binding?.toStorage && binding.fromStorage
        ? { prefix, toStorage: binding.toStorage, fromStorage: binding.fromStorage, identity: false }
        : identityBinding(prefix),
    );
    this.changed();
  }

  remove(group: string, version: string, resource: string): void {
    const def = this.defs.get(gvrKey(group, version, resource));
    if (!def) return;
    this.defs.delete(gvrKey(group, version, resource));
    this.bindings.delete(def);
    this.changed();
  }

  /** Sets the group's preferred version (default: the first version added). */
  prefer(group: string, version: string): void {
    this.preferred.set(group, version);
  }

  lookup(group: string, version: string, resource: string): ResourceDef | undefined {
    return this.defs.get(gvrKey(group, version, resource));
  }

  byKind(apiVersion: string, kind: string): ResourceDef | undefined {
    for (const d of this.defs.values()) if (d.kind === kind && apiVersionOf(d) === apiVersion) return d;
    return undefined;
  }

  storage(def: ResourceDef): StorageBinding {
    // A request that looked its resource up before the resource was re-served (a CRD
    // update replaces the def) carries on with the current def's binding: same resource.
    const b = this.bindings.get(def) ?? this.bindings.get(this.defs.get(gvrKey(def.group, def.version, def.plural))!);
    if (!b) throw new Error(`resource ${def.plural}.${def.group} has no storage binding`);
    return b;
  }

  all(): ResourceDef[] {
    return [...this.defs.values()];
  }

  resourcesIn(group: string, version: string): ResourceDef[] {
    return this.all().filter((d) => d.group === group && d.version === version);
  }

  groups(): GroupInfo[] {
    const byGroup = new Map<string, string[]>();
    for (const d of this.defs.values()) {
      const vs = byGroup.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      byGroup.set(d.group, vs);
    }
    return [...byGroup.entries()].map(([name, versions]) => {
      const pref = this.preferred.get(name);
      const sorted = pref && versions.includes(pref) ? [pref, ...versions.filter((v) => v !== pref)] : versions;
      return { name, versions: sorted };
    });
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    this.generation++;
    for (const fn of this.listeners) fn();
  }
}

const BUILTIN_GROUPS = new Set([
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'apiextensions.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'node.k8s.io',
  'admissionregistration.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'apiregistration.k8s.io',
]);

export function isBuiltinGroup(group: string): boolean {
  return group === '' || BUILTIN_GROUPS.has(group);
}
