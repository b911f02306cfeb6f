// What an object costs against a ResourceQuota (Kubernetes' usage evaluators), shared by the
// quota admission check and the resource quota controller.
import type { KObject } from '../types.js';
import { parseQuantity } from './validate-helpers.js';

const NANO = 1_000_000_000n;
const ONE = NANO;

/** The quota resource name counting objects of `def`: count/pods, count/deployments.apps. */
export function countName(def: { group: string; plural: string }): string {
  return def.group ? `count/${def.plural}.${def.group}` : `count/${def.plural}`;
}

const LEGACY_COUNTS: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

/** A quantity in nano-units; 0 when absent or malformed. */
export function nanoValue(v: unknown): bigint {
  return parseQuantity(v) ?? 0n;
}

function podCompute(pod: KObject): Map<string, bigint> {
  const sum = (kind: 'requests' | 'limits', res: string): bigint => {
    let total = 0n;
    for (const c of pod.spec?.containers ?? []) total += nanoValue(c.resources?.[kind]?.[res]);
    // An init container runs alone (sidecars aside), so the pod needs the larger of the two.
    for (const c of pod.spec?.initContainers ?? []) {
      const v = nanoValue(c.resources?.[kind]?.[res]);
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
    const s = nanoValue(obj.spec?.resources?.requests?.storage);
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
