// The downward API: pod fields and container resources as strings, the way the kubelet
// renders them into env vars and downwardAPI volume files.
import type { Container, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/core/validate-helpers.js';

/** Addresses the API may not have yet when a container starts: the agent knows them first. */
export interface PodAddresses {
  podIPs?: string[];
  hostIPs?: string[];
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** Kubernetes' format for a whole label/annotation map: sorted `key="value"` lines, values quoted as Go's %q. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** A fieldRef's value; throws on a path the downward API does not offer. */
export function podFieldValue(pod: Pod, fieldPath: string, addr: PodAddresses = {}): string {
  const md = pod.metadata ?? {};
  const podIPs = addr.podIPs ?? pod.status?.podIPs?.map((p) => p.ip!) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  const hostIPs = addr.hostIPs ?? pod.status?.hostIPs?.map((p) => p.ip!) ?? (pod.status?.hostIP ? [pod.status.hostIP] : []);
  switch (fieldPath) {
    case 'metadata.name':
      return md.name ?? '';
    case 'metadata.namespace':
      return md.namespace ?? '';
    case 'metadata.uid':
      return md.uid ?? '';
    case 'metadata.labels':
      return formatMap(md.labels);
    case 'metadata.annotations':
      return formatMap(md.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIPs[0] ?? '';
    case 'status.hostIPs':
      return hostIPs.join(',');
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  const m = SUBSCRIPT.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? md.labels : md.annotations)?.[m[2]!] ?? '';
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

/** Node allocatable, the stand-in for limits a container does not set. */
export type Allocatable = Partial<Record<'cpu' | 'memory' | 'ephemeral-storage', string>>;

function nano(q: unknown, what: string): bigint {
  const v = parseQuantity(q);
  if (v === null) throw new Error(`invalid quantity ${JSON.stringify(q)} for ${what}`);
  return v;
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a <= 0n ? -(-a / b) : (a + b - 1n) / b);

/**
 * A resourceFieldRef's value: the quantity divided by the divisor and rounded up, CPU in
 * milli-units as the kubelet compares them. Limits not set fall back to node allocatable.
 */
export function containerResourceValue(ref: ResourceFieldSelector, pod: Pod, container: Container | undefined, allocatable: Allocatable = {}): string {
  const target = ref.containerName ? (pod.spec?.containers ?? []).concat(pod.spec?.initContainers ?? []).find((c) => c.name === ref.containerName) : container;
  if (!target) throw new Error(`container ${ref.containerName ?? ''} not found in pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
  const [kind, name] = ref.resource.split('.', 2) as [string, string];
  if ((kind !== 'limits' && kind !== 'requests') || !['cpu', 'memory', 'ephemeral-storage'].includes(name ?? ''))
    throw new Error(`unsupported container resource : ${ref.resource}`);
  const list = (kind === 'limits' ? target.resources?.limits : target.resources?.requests) as Record<string, unknown> | undefined;
  let q = list?.[name];
  if (q === undefined && kind === 'limits') q = allocatable[name as keyof Allocatable];
  const amount = q === undefined ? 0n : nano(q, ref.resource);
  const divisor = ref.divisor === undefined ? 1_000_000_000n : nano(ref.divisor, `${ref.resource} divisor`);
  if (divisor <= 0n) throw new Error(`invalid divisor ${JSON.stringify(ref.divisor)} for ${ref.resource}`);
  if (name === 'cpu') {
    // CPU compares milli-values, each rounded up first, so 1 CPU with divisor 1m is 1000.
    const milli = (x: bigint) => ceilDiv(x, 1_000_000n);
    const d = milli(divisor);
    if (d === 0n) throw new Error(`invalid divisor ${JSON.stringify(ref.divisor)} for ${ref.resource}`);
    return String(ceilDiv(milli(amount), d));
  }
  const whole = (x: bigint) => ceilDiv(x, 1_000_000_000n);
  const d = whole(divisor);
  if (d === 0n) throw new Error(`invalid divisor ${JSON.stringify(ref.divisor)} for ${ref.resource}`);
  return String(ceilDiv(whole(amount), d));
}
