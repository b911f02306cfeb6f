// pods/eviction: a delete that respects PodDisruptionBudgets. The budget's
// disruptionsAllowed is checked and decremented atomically (the pod recorded in
// status.disruptedPods until the disruption controller sees it go), then the pod gets
// the DisruptionTarget condition and is deleted. When the budget allows nothing, 429.
import type { KObject, ResourceDef } from '../../api/types.js';
import { labelSelectorFromSpec } from '../../api/selectors.js';
import type { ApiResult } from '../types.js';
import { errors, StatusError } from '../status.js';
import type { DeleteOptions, ResourceStorage } from './resource-store.js';
import { formatTime } from '../../util/time.js';

const MAX_DISRUPTED_PODS = 2000;

function isReady(pod: KObject): boolean {
  return (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
}

function tooMany(message: string, cause?: string): StatusError {
  return new StatusError(429, 'TooManyRequests', message, cause ? { causes: [{ reason: 'DisruptionBudget', message: cause }] } : { retryAfterSeconds: 10 });
}

function evictionDeleteOptions(body: KObject | undefined, dryRun: boolean): DeleteOptions {
  const d = body?.deleteOptions ?? {};
  const opts: DeleteOptions = { dryRun: dryRun || (Array.isArray(d.dryRun) && d.dryRun.includes('All')) };
  if (typeof d.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = d.gracePeriodSeconds < 0 ? 1 : d.gracePeriodSeconds;
  if (d.preconditions) opts.preconditions = d.preconditions;
  if (d.propagationPolicy) opts.propagationPolicy = d.propagationPolicy;
  return opts;
}

export async function evictPod(rs: ResourceStorage, podDef: ResourceDef, ns: string, name: string, body: unknown, dryRun: boolean): Promise<ApiResult> {
  const ev = body as KObject | undefined;
  if (ev?.metadata?.name && ev.metadata.name !== name) throw errors.badRequest(`name in URL does not match name in Eviction object`);
  const opts = evictionDeleteOptions(ev, dryRun);
  const pod = await rs.get(podDef, ns, name);
  const ok = async (): Promise<ApiResult> => {
    await rs.delete(podDef, ns, name, opts);
    return { status: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  };
  // Budgets protect running pods only: a pod that is done, pending or already going may just go.
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata?.deletionTimestamp) return ok();

  const pdbDef = rs.registry.lookup('policy', 'v1', 'poddisruptionbudgets');
  if (!pdbDef) return ok();
  const prefix = rs.binding(pdbDef).prefix;
  await rs.cache.sync();
  const { keys, objects } = rs.cache.list(prefix, `${prefix}${ns}/`);
  const pdbs = keys
    .map((k) => objects.get(k)!)
    .filter((p) => {
      try {
        const sel = labelSelectorFromSpec(p.spec?.selector);
        return !sel.empty && sel.matches(pod.metadata?.labels ?? {});
      } catch {
        return false;
      }
    });
  if (!pdbs.length) return ok();
  if (pdbs.length > 1) throw errors.internal(new Error('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.'));
  const pdbName = pdbs[0]!.metadata!.name as string;

  await rs.guaranteedUpdate(
    pdbDef,
    ns,
    pdbName,
    (pdb) => {
      if (!pdb) throw errors.notFound('policy', 'poddisruptionbudgets', pdbName);
      const st = pdb.status ?? {};
      // An unhealthy pod does not count against a budget that is met (or when the policy says so).
      if (!isReady(pod)) {
        const policy = pdb.spec?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
        if (
          policy === 'AlwaysAllow' ||
          ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.observedGeneration ?? 0) >= (pdb.metadata?.generation ?? 0))
        ) {
          return null;
        }
      }
      if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 1))
        throw tooMany(
          "Cannot evict pod as it would violate the pod's disruption budget.",
          `The disruption budget ${pdbName} is still being processed by the server.`,
        );
      if ((st.disruptionsAllowed ?? 0) < 0) throw errors.forbidden('', 'pods', name, 'pdb disruptions allowed is negative');
      if (Object.keys(st.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS)
        throw tooMany('DisruptedPods map too big - too many evictions not confirmed by PDB controller');
      if ((st.disruptionsAllowed ?? 0) === 0)
        throw tooMany(
          "Cannot evict pod as it would violate the pod's disruption budget.",
          `The disruption budget ${pdbName} needs ${st.desiredHealthy ?? 0} healthy pods and has ${st.currentHealthy ?? 0} currently`,
        );
      pdb.status = { ...st, disruptionsAllowed: st.disruptionsAllowed - 1, disruptedPods: { ...(st.disruptedPods ?? {}), [name]: formatTime() } };
      return pdb;
    },
    { dryRun: opts.dryRun },
  );

  if (!opts.dryRun) {
    await rs.guaranteedUpdate(podDef, ns, name, (cur) => {
      if (!cur || cur.metadata?.deletionTimestamp) return null;
      const conditions = (cur.status?.conditions ?? []).filter((c: { type: string }) => c.type !== 'DisruptionTarget');
      conditions.push({
        type: 'DisruptionTarget',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: formatTime(),
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
      });
      cur.status = { ...(cur.status ?? {}), conditions };
      return cur;
    });
  }
  return ok();
}
