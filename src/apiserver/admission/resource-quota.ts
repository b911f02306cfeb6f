// ResourceQuota admission: refuses a create which would exceed a quota, charging the quota's
// status.used at once, so that creates racing the controller cannot overshoot together.
import type { KObject, ResourceDef } from '../../api/types.js';
import { formatQuantity, nanoValue, objectUsage } from '../../api/core/quota-usage.js';
import type { AdmissionHook, ResourceStorage } from '../rest/resource-store.js';
import { errors } from '../status.js';

function quotaForbidden(def: ResourceDef, obj: KObject, why: string) {
  return errors.forbidden(def.group, def.plural, obj.metadata?.name ?? obj.metadata?.generateName ?? '', why);
}

/** Resources a quota constrains that a pod must state explicitly (no usage without a request). */
const MUST_SPECIFY = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'];

export function resourceQuotaAdmission(rs: ResourceStorage): AdmissionHook {
  // Synchronous (no promise) in a namespace without quotas, which is where most creates go.
  return (op, def, obj) => {
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
    return charge(
      rs,
      quotaDef,
      def,
      obj,
      keys.map((k) => objects.get(k)!.metadata!.name as string),
    );
  };
}

/** Charges each quota of the namespace (named by `names`) for `obj`, refusing it if one would be exceeded. */
async function charge(rs: ResourceStorage, quotaDef: ResourceDef, def: ResourceDef, obj: KObject, names: string[]): Promise<void> {
  const ns = obj.metadata?.namespace;
  const usage = objectUsage(def, obj);
  for (const name of names) {
    await rs.guaranteedUpdate(quotaDef, ns, name, (quota) => {
      if (!quota) return null;
      const hard: Record<string, string> = quota.spec?.hard ?? {};
      const relevant = Object.keys(hard)
        .filter((r) => usage.has(r))
        .sort();
      if (!relevant.length) return null;
      if (def.group === '' && def.plural === 'pods') {
        const missing = relevant.filter(
          (r) =>
            MUST_SPECIFY.includes(r) &&
            (obj.spec?.containers ?? []).some((c: KObject) => {
              const [kind, res] = r.includes('.') ? (r.split('.') as [string, string]) : ['requests', r];
              return c.resources?.[kind]?.[res] === undefined;
            }),
        );
        if (missing.length) throw quotaForbidden(def, obj, `failed quota: ${name}: must specify ${missing.join(',')}`);
      }
      const statusHard: Record<string, string> = quota.status?.hard ?? {};
      const unknown = relevant.filter((r) => !(r in statusHard));
      if (unknown.length) throw quotaForbidden(def, obj, `status unknown for quota: ${name}, resources: ${unknown.join(',')}`);
      const used: Record<string, string> = { ...(quota.status?.used ?? {}) };
      const over = relevant.filter((r) => nanoValue(used[r] ?? '0') + usage.get(r)! > nanoValue(hard[r]));
      if (over.length) {
        const list = (f: (r: string) => string) => over.map((r) => `${r}=${f(r)}`).join(',');
        throw quotaForbidden(
          def,
          obj,
          `exceeded quota: ${name}, requested: ${list((r) => formatQuantity(usage.get(r)!, hard[r]))}, used: ${list((r) => formatQuantity(nanoValue(used[r] ?? '0'), hard[r]))}, limited: ${list((r) => hard[r]!)}`,
        );
      }
      for (const r of relevant) used[r] = formatQuantity(nanoValue(used[r] ?? '0') + usage.get(r)!, hard[r]);
      quota.status = { ...(quota.status ?? {}), used };
      return quota;
    });
  }
}
