// Which Node labels a node may set on itself, as NodeRestriction rules them: nothing under
// node-restriction.kubernetes.io (labels an administrator sets to steer workloads to trusted
// nodes), and under kubernetes.io / k8s.io only the labels a kubelet sets itself — the
// hostname, OS, architecture, zone and region, instance type, and the kubelet.kubernetes.io and
// node.kubernetes.io namespaces. Anything else (a team's own prefix) stays the node's to set.

const KUBELET_LABELS: ReadonlySet<string> = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
]);

const prefixOf = (key: string): string => {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
};

/** The prefix is `domain` itself or one of its subdomains. */
const within = (prefix: string, domain: string): boolean => prefix === domain || prefix.endsWith(`.${domain}`);

function forbidden(key: string): boolean {
  const prefix = prefixOf(key);
  if (within(prefix, 'node-restriction.kubernetes.io')) return true;
  if (!within(prefix, 'kubernetes.io') && !within(prefix, 'k8s.io')) return false;
  return !(KUBELET_LABELS.has(key) || within(prefix, 'kubelet.kubernetes.io') || within(prefix, 'node.kubernetes.io'));
}

/** Labels added, changed or removed between `old` and `now` that a node may not touch, sorted. */
export function forbiddenNodeLabels(now: Record<string, string> | undefined, old: Record<string, string> | undefined): string[] {
  const a = now ?? {};
  const b = old ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k] && forbidden(k)).sort();
}
