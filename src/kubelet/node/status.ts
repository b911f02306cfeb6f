// The Node object a node agent registers and the status it keeps posting: capacity,
// addresses, nodeInfo and the four conditions, as the kubelet's setters make them.
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { NO_PRESSURE, type NodePressure } from './pressure.js';
import { formatTime } from '../../util/time.js';

export const KUBELET_VERSION = 'v1.32.0-skiff';
/**
 * Honoured by the node agent: while "true" it renews no Lease, posts no node or pod status
 * and finishes no deletion — a node cut off from the API — and catches up once it is gone.
 */
export const STOP_HEARTBEATS_ANNOTATION = 'simulation.skiff.io/stop-heartbeats';

export interface NodeDescription {
  name: string;
  capacity: Record<string, string>;
  internalIP: string;
  hostname: string;
  labels?: Record<string, string>;
  taints?: Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never;
  osImage: string;
  kernelVersion: string;
  architecture: string;
  operatingSystem: string;
  containerRuntimeVersion: string;
  /** Port of the agent's own HTTPS server (logs/exec; 10250 as the kubelet's); 0 (the default) when it runs none, so the apiserver never dials it. */
  kubeletPort?: number;
  /** The host's pressure as it stands now (real nodes; pressure.ts); none means no pressure. */
  pressure?: () => NodePressure;
  /** nodeInfo identifiers read from the host (host-identity.ts); empty when unknown. */
  machineID?: string;
  systemUUID?: string;
  bootID?: string;
}

type ConditionRow = [type: string, reason: string, message: string, status: 'True' | 'False'];

/** The kubelet's four conditions for a given pressure, with its reasons and messages. */
export function conditionRows(p: NodePressure = NO_PRESSURE): ConditionRow[] {
  return [
    p.memory
      ? ['MemoryPressure', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available', 'True']
      : ['MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available', 'False'],
    p.disk
      ? ['DiskPressure', 'KubeletHasDiskPressure', 'kubelet has disk pressure', 'True']
      : ['DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure', 'False'],
    p.pid
      ? ['PIDPressure', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available', 'True']
      : ['PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available', 'False'],
    ['Ready', 'KubeletReady', 'kubelet is posting ready status', 'True'],
  ];
}

/** Go's GOARCH spelling, which is what kubernetes.io/arch and nodeInfo carry. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

export function nodeLabels(d: NodeDescription): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': d.architecture,
    'beta.kubernetes.io/os': d.operatingSystem,
    'kubernetes.io/arch': d.architecture,
    'kubernetes.io/hostname': d.hostname,
    'kubernetes.io/os': d.operatingSystem,
    ...(d.labels ?? {}),
  };
}

/** Conditions as they should be now; transition times carried from `old` when nothing changed. */
export function desiredConditions(old: NodeCondition[] | undefined, now: number, pressure?: NodePressure): NodeCondition[] {
  const ts = formatTime(now);
  return conditionRows(pressure).map(([type, reason, message, status]) => {
    const prev = old?.find((c) => c.type === type);
    const same = prev && prev.status === status && prev.reason === reason;
    return { type, status, lastHeartbeatTime: ts, lastTransitionTime: same && prev.lastTransitionTime ? prev.lastTransitionTime : ts, reason, message };
  });
}

export function nodeStatus(d: NodeDescription, old: NodeCondition[] | undefined, now: number): NodeStatus {
  return {
    capacity: { ...d.capacity },
    allocatable: { ...d.capacity },
    conditions: desiredConditions(old, now, d.pressure?.()),
    addresses: [
      { type: 'InternalIP', address: d.internalIP },
      { type: 'Hostname', address: d.hostname },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: d.kubeletPort ?? 0 } },
    nodeInfo: {
      machineID: d.machineID ?? '',
      systemUUID: d.systemUUID ?? '',
      bootID: d.bootID ?? '',
      kernelVersion: d.kernelVersion,
      osImage: d.osImage,
      containerRuntimeVersion: d.containerRuntimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: d.operatingSystem,
      architecture: d.architecture,
    },
  };
}

export function newNode(d: NodeDescription, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: d.name, labels: nodeLabels(d), annotations: { 'node.alpha.kubernetes.io/ttl': '0' } },
    spec: d.taints?.length ? { taints: d.taints } : {},
    status: nodeStatus(d, undefined, now),
  };
}

/**
 * Whether the posted status is out of date: a condition differs from what this agent
 * would say, the capacity changed, or the last post is older than `reportMs`.
 */
export function statusStale(node: Node, d: NodeDescription, now: number, reportMs: number): boolean {
  const conds = node.status?.conditions ?? [];
  for (const [type, reason, , status] of conditionRows(d.pressure?.())) {
    const c = conds.find((x) => x.type === type);
    if (!c || c.status !== status || c.reason !== reason) return true;
  }
  const ready = conds.find((c) => c.type === 'Ready');
  const beat = Date.parse(ready?.lastHeartbeatTime ?? '');
  if (!Number.isFinite(beat) || now - beat >= reportMs) return true;
  for (const [k, v] of Object.entries(d.capacity)) if (node.status?.capacity?.[k] !== v) return true;
  const info = node.status?.nodeInfo;
  if ((info?.bootID ?? '') !== (d.bootID ?? '')) return true;
  return info?.containerRuntimeVersion !== d.containerRuntimeVersion;
}
