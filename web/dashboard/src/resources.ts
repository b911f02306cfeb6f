// The kinds the dashboard lists, where they live in the API, and the columns shown for each.
import type { KObj } from './api.js';

export interface Column {
  title: string;
  value: (o: KObj) => string;
  /** Hidden on narrow (phone) screens. */
  wide?: boolean;
}

export interface Kind {
  id: string;
  title: string;
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  section: 'Workloads' | 'Network' | 'Config' | 'Storage' | 'Cluster';
  columns: Column[];
  scalable?: boolean;
  restartable?: boolean;
}

export function age(ts?: string): string {
  if (!ts) return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function podStatus(p: KObj): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  for (const c of (p.status?.initContainerStatuses ?? []) as any[]) {
    if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') return `Init:${c.state.waiting.reason}`;
  }
  for (const c of (p.status?.containerStatuses ?? []) as any[]) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason && p.status?.phase === 'Running') return c.state.terminated.reason;
  }
  return p.status?.reason ?? p.status?.phase ?? 'Pending';
}

export function nodeReady(n: KObj): string {
  const ready = ((n.status?.conditions ?? []) as any[]).find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : 'NotReady';
  if (n.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

const n = (v: unknown) => String(v ?? 0);
const ageCol: Column = { title: 'Age', value: (o) => age(o.metadata.creationTimestamp) };
const nsCol: Column = { title: 'Namespace', value: (o) => o.metadata.namespace ?? '', wide: true };

function kind(
  id: string,
  title: string,
  k: string,
  gv: string,
  section: Kind['section'],
  namespaced: boolean,
  columns: Column[],
  extra: Partial<Kind> = {},
): Kind {
  const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
  return {
    id,
    title,
    kind: k,
    group: group!,
    version: version!,
    plural: id,
    namespaced,
    section,
    columns: [...(namespaced ? [nsCol] : []), ...columns, ageCol],
    ...extra,
  };
}

export const KINDS: Kind[] = [
  kind(
    'deployments',
    'Deployments',
    'Deployment',
    'apps/v1',
    'Workloads',
    true,
    [
      { title: 'Ready', value: (o) => `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}` },
      { title: 'Up-to-date', value: (o) => n(o.status?.updatedReplicas), wide: true },
      { title: 'Available', value: (o) => n(o.status?.availableReplicas) },
    ],
    { scalable: true, restartable: true },
  ),
  kind(
    'replicasets',
    'ReplicaSets',
    'ReplicaSet',
    'apps/v1',
    'Workloads',
    true,
    [
      { title: 'Desired', value: (o) => n(o.spec?.replicas) },
      { title: 'Current', value: (o) => n(o.status?.replicas), wide: true },
      { title: 'Ready', value: (o) => n(o.status?.readyReplicas) },
    ],
    { scalable: true },
  ),
  kind(
    'statefulsets',
    'StatefulSets',
    'StatefulSet',
    'apps/v1',
    'Workloads',
    true,
    [{ title: 'Ready', value: (o) => `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}` }],
    { scalable: true, restartable: true },
  ),
  kind(
    'daemonsets',
    'DaemonSets',
    'DaemonSet',
    'apps/v1',
    'Workloads',
    true,
    [
      { title: 'Desired', value: (o) => n(o.status?.desiredNumberScheduled) },
      { title: 'Ready', value: (o) => n(o.status?.numberReady) },
      { title: 'Available', value: (o) => n(o.status?.numberAvailable), wide: true },
    ],
    { restartable: true },
  ),
  kind('jobs', 'Jobs', 'Job', 'batch/v1', 'Workloads', true, [
    {
      title: 'Status',
      value: (o) =>
        ((o.status?.conditions ?? []) as any[]).find((c) => c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed'))?.type ?? 'Running',
    },
    { title: 'Completions', value: (o) => `${n(o.status?.succeeded)}/${n(o.spec?.completions ?? 1)}` },
  ]),
  kind('cronjobs', 'CronJobs', 'CronJob', 'batch/v1', 'Workloads', true, [
    { title: 'Schedule', value: (o) => o.spec?.schedule ?? '' },
    { title: 'Suspend', value: (o) => String(!!o.spec?.suspend), wide: true },
    { title: 'Active', value: (o) => n(o.status?.active?.length) },
    { title: 'Last schedule', value: (o) => age(o.status?.lastScheduleTime), wide: true },
  ]),
  kind('pods', 'Pods', 'Pod', 'v1', 'Workloads', true, [
    { title: 'Ready', value: (o) => `${((o.status?.containerStatuses ?? []) as any[]).filter((c) => c.ready).length}/${o.spec?.containers?.length ?? 0}` },
    { title: 'Status', value: podStatus },
    { title: 'Restarts', value: (o) => n(((o.status?.containerStatuses ?? []) as any[]).reduce((a, c) => a + (c.restartCount ?? 0), 0)), wide: true },
    { title: 'Node', value: (o) => o.spec?.nodeName ?? '', wide: true },
    { title: 'IP', value: (o) => o.status?.podIP ?? '', wide: true },
  ]),
  kind('services', 'Services', 'Service', 'v1', 'Network', true, [
    { title: 'Type', value: (o) => o.spec?.type ?? 'ClusterIP' },
    { title: 'Cluster IP', value: (o) => o.spec?.clusterIP ?? '' },
    {
      title: 'Ports',
      value: (o) => ((o.spec?.ports ?? []) as any[]).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(','),
      wide: true,
    },
  ]),
  kind('ingresses', 'Ingresses', 'Ingress', 'networking.k8s.io/v1', 'Network', true, [
    { title: 'Class', value: (o) => o.spec?.ingressClassName ?? '' },
    { title: 'Hosts', value: (o) => ((o.spec?.rules ?? []) as any[]).map((r) => r.host ?? '*').join(',') },
    { title: 'Address', value: (o) => ((o.status?.loadBalancer?.ingress ?? []) as any[]).map((i) => i.ip ?? i.hostname).join(','), wide: true },
  ]),
  kind('configmaps', 'ConfigMaps', 'ConfigMap', 'v1', 'Config', true, [
    { title: 'Data', value: (o) => n(Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length) },
  ]),
  kind('secrets', 'Secrets', 'Secret', 'v1', 'Config', true, [
    { title: 'Type', value: (o) => o.type ?? '' },
    { title: 'Data', value: (o) => n(Object.keys(o.data ?? {}).length) },
  ]),
  kind('persistentvolumeclaims', 'PVCs', 'PersistentVolumeClaim', 'v1', 'Storage', true, [
    { title: 'Status', value: (o) => o.status?.phase ?? '' },
    { title: 'Volume', value: (o) => o.spec?.volumeName ?? '', wide: true },
    { title: 'Capacity', value: (o) => o.status?.capacity?.storage ?? '' },
    { title: 'Class', value: (o) => o.spec?.storageClassName ?? '', wide: true },
  ]),
  kind('persistentvolumes', 'PVs', 'PersistentVolume', 'v1', 'Storage', false, [
    { title: 'Capacity', value: (o) => o.spec?.capacity?.storage ?? '' },
    { title: 'Status', value: (o) => o.status?.phase ?? '' },
    { title: 'Claim', value: (o) => (o.spec?.claimRef ? `${o.spec.claimRef.namespace}/${o.spec.claimRef.name}` : ''), wide: true },
  ]),
  kind('nodes', 'Nodes', 'Node', 'v1', 'Cluster', false, [
    { title: 'Status', value: nodeReady },
    { title: 'CPU', value: (o) => o.status?.capacity?.cpu ?? '' },
    { title: 'Memory', value: (o) => o.status?.capacity?.memory ?? '', wide: true },
    { title: 'Version', value: (o) => o.status?.nodeInfo?.kubeletVersion ?? '', wide: true },
  ]),
  kind('namespaces', 'Namespaces', 'Namespace', 'v1', 'Cluster', false, [{ title: 'Status', value: (o) => o.status?.phase ?? '' }]),
  kind('events', 'Events', 'Event', 'v1', 'Cluster', true, [
    { title: 'Type', value: (o) => o.type ?? '' },
    { title: 'Reason', value: (o) => o.reason ?? '' },
    { title: 'Object', value: (o) => `${o.involvedObject?.kind ?? ''}/${o.involvedObject?.name ?? ''}` },
    { title: 'Message', value: (o) => o.message ?? '', wide: true },
  ]),
];

export const kindById = (id: string) => KINDS.find((k) => k.id === id);

function base(k: Kind): string {
  return k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
}

export function collectionPath(k: Kind, ns?: string): string {
  return `${base(k)}${k.namespaced && ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${k.plural}`;
}

export function objectPath(k: Kind, ns: string | undefined, name: string): string {
  return `${base(k)}${k.namespaced && ns ? `/namespaces/${encodeURIComponent(ns)}` : ''}/${k.plural}/${encodeURIComponent(name)}`;
}

export const apiVersionOf = (k: Kind) => (k.group ? `${k.group}/${k.version}` : k.version);
