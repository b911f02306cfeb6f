// Roles, ClusterRoles and their bindings as the RBAC authorizer reads them: rules by role,
// bindings by subject (a user name or a group name) and, for RoleBindings, by namespace, so
// that a request looks only at the bindings naming one of its subjects.
import type { KObject } from '../../../api/types.js';
import type { WatchCache } from '../../watch-cache.js';
import { CacheFollower } from '../cache-follower.js';
import { normalizeRules, type PolicyRule } from './rules.js';

export interface RoleRef {
  kind: 'Role' | 'ClusterRole';
  name: string;
}

export interface SubjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

export interface IndexedBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** Set for RoleBindings: they grant only in their namespace. */
  namespace?: string;
  roleRef: RoleRef;
}

/** A subject a user matches by: `u:<name>` or `g:<group>`; service accounts are users by name. */
export function subjectKey(s: SubjectRef, bindingNamespace: string | undefined): string | undefined {
  if (typeof s?.name !== 'string' || !s.name) return undefined;
  if (s.kind === 'User') return `u:${s.name}`;
  if (s.kind === 'Group') return `g:${s.name}`;
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace || bindingNamespace;
    return ns ? `u:system:serviceaccount:${ns}:${s.name}` : undefined;
  }
  return undefined;
}

type BySubject = Map<string, Map<string, IndexedBinding>>;

function addTo(map: BySubject, subject: string, key: string, b: IndexedBinding): void {
  let m = map.get(subject);
  if (!m) map.set(subject, (m = new Map()));
  m.set(key, b);
}

function removeFrom(map: BySubject, subject: string, key: string): void {
  const m = map.get(subject);
  if (!m) return;
  m.delete(key);
  if (!m.size) map.delete(subject);
}

const PREFIXES = {
  roles: '/registry/roles/',
  clusterroles: '/registry/clusterroles/',
  rolebindings: '/registry/rolebindings/',
  clusterrolebindings: '/registry/clusterrolebindings/',
};

export class RbacIndex {
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  /** `<namespace>/<name>` → rules */
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterBindings: BySubject = new Map();
  /** namespace → subject → bindings */
  private readonly nsBindings = new Map<string, BySubject>();
  /** What each binding key was indexed under, to take it out again. */
  private readonly bindingSubjects = new Map<string, { ns?: string; subjects: string[] }>();
  private readonly followers: CacheFollower[];
  /** Bumped on every change: authorizers' derived tables are valid for one generation. */
  generation = 0;

  constructor(cache: WatchCache) {
    const ruleMap = (target: Map<string, PolicyRule[]>, namespaced: boolean) => ({
      put: (_k: string, o: KObject) => {
        this.generation++;
        target.set(namespaced ? `${o.metadata?.namespace}/${o.metadata?.name}` : String(o.metadata?.name), normalizeRules(o.rules));
      },
      remove: (_k: string, o: KObject) => {
        this.generation++;
        target.delete(namespaced ? `${o.metadata?.namespace}/${o.metadata?.name}` : String(o.metadata?.name));
      },
      reset: () => {
        this.generation++;
        target.clear();
      },
    });
    const bindings = (namespaced: boolean) => ({
      put: (k: string, o: KObject) => this.putBinding(k, o, namespaced),
      remove: (k: string) => this.removeBinding(k),
      reset: () => {
        for (const [k, v] of this.bindingSubjects) if (!!v.ns === namespaced) this.removeBinding(k);
      },
    });
    this.followers = [
      new CacheFollower(cache, PREFIXES.clusterroles, ruleMap(this.clusterRoles, false)),
      new CacheFollower(cache, PREFIXES.roles, ruleMap(this.roles, true)),
      new CacheFollower(cache, PREFIXES.clusterrolebindings, bindings(false)),
      new CacheFollower(cache, PREFIXES.rolebindings, bindings(true)),
    ];
  }

  start(): void {
    for (const f of this.followers) f.start();
  }

  stop(): void {
    for (const f of this.followers) f.stop();
  }

  private putBinding(key: string, o: KObject, namespaced: boolean): void {
    this.removeBinding(key);
    this.generation++;
    const ref = o.roleRef;
    if (!ref || (ref.kind !== 'Role' && ref.kind !== 'ClusterRole') || typeof ref.name !== 'string') return;
    const ns: string | undefined = namespaced ? o.metadata?.namespace : undefined;
    const b: IndexedBinding = {
      kind: namespaced ? 'RoleBinding' : 'ClusterRoleBinding',
      name: String(o.metadata?.name),
      namespace: ns,
      roleRef: { kind: ref.kind, name: ref.name },
    };
    const subjects: string[] = [];
    for (const s of Array.isArray(o.subjects) ? o.subjects : []) {
      const sk = subjectKey(s, ns);
      if (!sk) continue;
      subjects.push(sk);
      if (ns === undefined) addTo(this.clusterBindings, sk, key, b);
      else {
        let m = this.nsBindings.get(ns);
        if (!m) this.nsBindings.set(ns, (m = new Map()));
        addTo(m, sk, key, b);
      }
    }
    this.bindingSubjects.set(key, { ns, subjects });
  }

  private removeBinding(key: string): void {
    const old = this.bindingSubjects.get(key);
    if (!old) return;
    this.generation++;
    this.bindingSubjects.delete(key);
    const map = old.ns === undefined ? this.clusterBindings : this.nsBindings.get(old.ns);
    if (!map) return;
    for (const s of old.subjects) removeFrom(map, s, key);
    if (old.ns !== undefined && !map.size) this.nsBindings.delete(old.ns);
  }

  /** The bindings naming this subject: cluster-wide ones, or the RoleBindings of `namespace`. */
  bindingsFor(subject: string, namespace: string | undefined): Iterable<IndexedBinding> | undefined {
    if (namespace === undefined) return this.clusterBindings.get(subject)?.values();
    return this.nsBindings.get(namespace)?.get(subject)?.values();
  }

  /** The rules a role reference grants; undefined when the role does not exist. */
  rulesOf(ref: RoleRef, namespace: string | undefined): PolicyRule[] | undefined {
    return ref.kind === 'ClusterRole' ? this.clusterRoles.get(ref.name) : this.roles.get(`${namespace}/${ref.name}`);
  }
}
