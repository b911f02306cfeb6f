// Puts the bootstrap policy in place on every start, as kube-apiserver's RBAC post-start
// hook: missing roles and bindings are created; existing ones get back the rules, subjects,
// labels and annotations they lack (nothing is taken away but the subjects Skiff itself
// retired) unless annotated rbac.authorization.kubernetes.io/autoupdate: "false".
import type { KObject, ResourceDef } from '../../../api/types.js';
import { jsonEqual } from '../../../api/validation.js';
import { clusterrolebindings, clusterroles } from '../../../api/rbac/index.js';
import type { ResourceStorage } from '../../rest/resource-store.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './policy/cluster-roles.js';
import { AUTOUPDATE_ANNOTATION, type Subject } from './policy/helpers.js';
import { retiredBindingSubjects } from './policy/skiff-roles.js';

function union<T>(have: T[] | undefined, want: T[] | undefined): T[] {
  const out = [...(have ?? [])];
  for (const w of want ?? []) if (!out.some((h) => jsonEqual(h, w))) out.push(w);
  return out;
}

function mergedMeta(cur: KObject, want: KObject): KObject['metadata'] {
  const m = cur.metadata ?? {};
  return {
    ...m,
    labels: { ...(want.metadata?.labels ?? {}), ...(m.labels ?? {}) },
    annotations: { ...(want.metadata?.annotations ?? {}), ...(m.annotations ?? {}) },
  };
}

/** The role as it should be after reconciling, or undefined when it is fine as it is. */
export function reconcileRole(cur: KObject, want: KObject): KObject | undefined {
  if (cur.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return undefined;
  const next: KObject = { ...cur, metadata: mergedMeta(cur, want) };
  if (want.aggregationRule) {
    // The aggregation controller owns the rules of an aggregated role.
    next.aggregationRule = {
      clusterRoleSelectors: union(cur.aggregationRule?.clusterRoleSelectors, want.aggregationRule.clusterRoleSelectors),
    };
    next.rules = cur.rules ?? [];
  } else next.rules = union(cur.rules, want.rules);
  return jsonEqual(next, cur) ? undefined : next;
}

const sameSubject = (a: Subject, b: Subject) => a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

export function reconcileBinding(cur: KObject, want: KObject, retired: Subject[] = []): KObject | 'recreate' | undefined {
  if (cur.metadata?.annotations?.[AUTOUPDATE_ANNOTATION] === 'false') return undefined;
  if (!jsonEqual(cur.roleRef, want.roleRef)) return 'recreate';
  const kept = (cur.subjects as Subject[] | undefined)?.filter((s) => !retired.some((r) => sameSubject(s, r)));
  const next: KObject = { ...cur, metadata: mergedMeta(cur, want), subjects: union(kept, want.subjects) };
  if (!next.subjects.length) delete next.subjects;
  return jsonEqual(next, cur) ? undefined : next;
}

async function ensure(rs: ResourceStorage, def: ResourceDef, want: KObject, isBinding: boolean): Promise<void> {
  const name = want.metadata!.name as string;
  const cur = rs.cache.get(`/registry/${def.plural}/${name}`);
  if (!cur) {
    try {
      await rs.create(def, undefined, want);
    } catch (err) {
      // Another server sharing the store made it first.
      if ((err as { code?: number }).code !== 409) throw err;
    }
    return;
  }
  const next = isBinding ? reconcileBinding(cur, want, retiredBindingSubjects()[name]) : reconcileRole(cur, want);
  if (!next) return;
  if (next === 'recreate') {
    await rs.delete(def, undefined, name);
    await rs.create(def, undefined, want);
    return;
  }
  await rs.update(def, undefined, name, JSON.parse(JSON.stringify(next)), undefined);
}

export async function reconcileBootstrapPolicy(rs: ResourceStorage, log?: (msg: string, fields?: Record<string, unknown>) => void): Promise<void> {
  const jobs = [
    ...bootstrapClusterRoles().map((r) => ensure(rs, clusterroles, r, false)),
    ...bootstrapClusterRoleBindings().map((b) => ensure(rs, clusterrolebindings, b, true)),
  ];
  const results = await Promise.allSettled(jobs);
  for (const r of results)
    if (r.status === 'rejected') log?.('could not reconcile the bootstrap RBAC policy', { error: (r.reason as Error)?.message ?? String(r.reason) });
}
