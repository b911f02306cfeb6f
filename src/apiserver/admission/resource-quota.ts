// ResourceQuota: what an object costs against a quota (the usage evaluators, shared with the
// resource quota controller), and the admission check that refuses a create which would
// exceed a quota — charging the quota's status.used at once, so that creates racing the
// controller cannot overshoot together.
import type { KObject, ResourceDef } from '../../api/types.js';
import { parseQuantity } from '../../api/core/validate-helpers.js';
import type { AdmissionHook, ResourceStorage } from '../rest/resource-store.js';
import { errors } from '../status.js';

const NANO = 1_000_000_000n;
const ONE = NANO;

/** The quota resource name counting objects of `def`: count/pods, count/deployments.apps. */
export function countName(def: { group: string; plural: string }): string {
  return def.group ? `count/${def.plural}.${def.group}` : `count/${def.plural}`;
}

const LEGACY_COUNTS: Record<string, string> = {
  pods: 'pods', services: 'services', configmaps: 'configmaps', secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims', replicationcontrollers: 'replicationcontrollers', resourcequotas: 'resourcequotas',
};

function q(v: unknown): bigint {
  return parseQuantity(v) ?? 0n;
}

function podCompute(pod: KObject): Map<string, bigint> {
  const sum = (kind: 'requests' | 'limits', res: string): bigint => {
    let total = 0n;
    for (const c of pod.spec?.containers ?? []) total += q(c.resources?.[kind]?.[res]);
    // An init container runs alone (sidecars aside), so the pod needs the larger of the two.
    for (const c of pod.spec?.initContainers ?? []) {
      const v = q(c.resources?.[kind]?.[res]);
      if (c.restartPolicy === 'Always') total += v;
      else if (v > total) total = v;
    }
    return total;
  };
  const out = new Map<string, bigint>();
  for (const res of ['cpu', 'memory', 'ephemeral-storage']) {
    const r = sum('requests', res);
    out.set(`requests.${res}`, r);
    out.set(res, r);
    out.set(`limits.${res}`, sum('limits', res));
  }
  return out;
}

/** Usage of one object, in nano-units per quota resource name. Finished pods cost nothing. */
export function objectUsage(def: { group: string; plural: string }, obj: KObject): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const isCore = def.group === '';
  if (isCore && def.plural === 'pods' && (obj.status?.phase === 'Succeeded' || obj.status?.phase === 'Failed')) return out;
  out.set(countName(def), ONE);
  if (isCore && LEGACY_COUNTS[def.plural]) out.set(LEGACY_COUNTS[def.plural]!, ONE);
  if (isCore && def.plural === 'pods') for (const [k, v] of podCompute(obj)) out.set(k, v);
  if (isCore && def.plural === 'services') {
    const type = obj.spec?.type ?? 'ClusterIP';
    if (type === 'NodePort' || type === 'LoadBalancer') out.set('services.nodeports', BigInt((obj.spec?.ports ?? []).length) * ONE);
    if (type === 'LoadBalancer') out.set('services.loadbalancers', ONE);
  }
  if (isCore && def.plural === 'persistentvolumeclaims') {
    const s = q(obj.spec?.resources?.requests?.storage);
    out.set('requests.storage', s);
    const cls = obj.spec?.storageClassName;
    if (cls) {
      out.set(`${cls}.storageclass.storage.k8s.io/requests.storage`, s);
      out.set(`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`, ONE);
    }
  }
  return out;
}

/** A sum in nano-units written as Kubernetes would: "2", "500m", "1Gi". */
export function formatQuantity(nano: bigint, like?: string): string {
  if (nano % NANO !== 0n) return nano % 1_000_000n === 0n ? `${nano / 1_000_000n}m` : `${nano}n`;
  let units = nano / NANO;
  if (like && /[KMGTPE]i$/.test(like) && units !== 0n) {
    const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
    let i = 0;
    while (i < suffixes.length - 1 && units % 1024n === 0n) {
      units /= 1024n;
      i++;
    }
    return `${units}${suffixes[i]}`;
  }
  return String(units);
}

function quotaForbidden(def: ResourceDef, obj: KObject, why: string) {
  return errors.forbidden(def.group, def.plural, obj.metadata?.name ?? obj.metadata?.generateName ?? '', why);
}

/** Resources a quota constrains that a pod must state explicitly (no usage without a request). */
const MUST_SPECIFY = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'];

export function resourceQuotaAdmission(rs: ResourceStorage): AdmissionHook {
  return async (op, def, obj) => {
    if (op !== 'create' || !def.namespaced) return;
    if (def.group === '' && def.plural === 'resourcequotas') return;
    const quotaDef = rs.registry.lookup('', 'v1', 'resourcequotas');
    if (!quotaDef) return;
    const ns = obj.metadata?.namespace;
    const prefix = rs.binding(quotaDef).prefix;
    // No consistent-read sync here: every create passes this way, and like Kubernetes' quota
    // lister a quota created a moment ago may be seen a moment late.
    const { keys, objects } = rs.cache.list(prefix, `${prefix}${ns}/`);
    if (!keys.length) return;
    const usage = objectUsage(def, obj);
    for (const key of keys) {
      const name = objects.get(key)!.metadata!.name as string;
      await rs.guaranteedUpdate(quotaDef, ns, name, (quota) => {
        if (!quota) return null;
        const hard: Record<string, string> = quota.spec?.hard ?? {};
        const relevant = Object.keys(hard).filter((r) => usage.has(r)).sort();
        if (!relevant.length) return null;
        if (def.group === '' && def.plural === 'pods') {
          const missing = relevant.filter((r) => MUST_SPECIFY.includes(r) && (obj.spec?.containers ?? []).some((c: KObject) => {
            const [kind, res] = r.includes('.') ? r.split('.') as [string, string] : ['requests', r];
            return c.resources?.[kind]?.[res] === undefined;
          }));
          if (missing.length) throw quotaForbidden(def, obj, `failed quota: ${name}: must specify ${missing.join(',')}`);
        }
        const statusHard: Record<string, string> = quota.status?.hard ?? {};
        const unknown = relevant.filter((r) => !(r in statusHard));
        if (unknown.length) throw quotaForbidden(def, obj, `status unknown for quota: ${name}, resources: ${unknown.join(',')}`);
        const used: Record<string, string> = { ...(quota.status?.used ?? {}) };
        const over = relevant.filter((r) => q(used[r] ?? '0') + usage.get(r)! > q(hard[r]));
        if (over.length) {
          const list = (f: (r: string) => string) => over.map((r) => `${r}=${f(r)}`).join(',');
          throw quotaForbidden(def, obj, `exceeded quota: ${name}, requested: ${list((r) => formatQuantity(usage.get(r)!, hard[r]))}, used: ${list((r) => formatQuantity(q(used[r] ?? '0'), hard[r]))}, limited: ${list((r) => hard[r]!)}`);
        }
        for (const r of relevant) used[r] = formatQuantity(q(used[r] ?? '0') + usage.get(r)!, hard[r]);
        quota.status = { ...(quota.status ?? {}), used };
        return quota;
      });
    }
  };
}
