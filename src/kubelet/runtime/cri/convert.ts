// Translation between the agent's runtime types and CRI runtime.v1 messages as
// proto-loader presents them (camelCase, int64 as strings, enums by name).
import type {
  ContainerConfig,
  ContainerFilter,
  ContainerState,
  ContainerStatus,
  Image,
  LinuxContainerSecurityContext,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PullAuth,
  SandboxState,
} from '../types.js';

type Wire = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const nsMode = (host: boolean | undefined, otherwise: 'POD' | 'CONTAINER') => (host ? 'NODE' : otherwise);

/**
 * The pod's namespaces as the kubelet asks for them: network and IPC shared in the pod
 * unless the node's are wanted; PID per container unless hostPID, or one per pod with
 * shareProcessNamespace.
 */
export function namespaceOptions(sb: PodSandboxConfig): Wire {
  return { network: nsMode(sb.hostNetwork, 'POD'), pid: nsMode(sb.hostPID, sb.sharePID ? 'POD' : 'CONTAINER'), ipc: nsMode(sb.hostIPC, 'POD') };
}

export function sandboxConfigToWire(c: PodSandboxConfig): Wire {
  return {
    metadata: { name: c.metadata.name, uid: c.metadata.uid, namespace: c.metadata.namespace, attempt: c.metadata.attempt },
    hostname: c.hostNetwork ? '' : (c.hostname ?? ''),
    logDirectory: c.logDirectory ?? '',
    dnsConfig: c.dnsConfig ? { servers: c.dnsConfig.servers, searches: c.dnsConfig.searches, options: c.dnsConfig.options } : null,
    portMappings: (c.portMappings ?? []).map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp ?? '' })),
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
    linux: {
      cgroupParent: c.cgroupParent ?? '',
      sysctls: c.sysctls ?? {},
      securityContext: { namespaceOptions: namespaceOptions(c) },
    },
  };
}

function securityContextToWire(s: LinuxContainerSecurityContext | undefined, sb: PodSandboxConfig): Wire {
  const ns = namespaceOptions(sb);
  // A debug container sees its target's processes, unless the pod shares one PID namespace anyway.
  if (s?.pidTargetId && ns.pid === 'CONTAINER') Object.assign(ns, { pid: 'TARGET', targetId: s.pidTargetId });
  return {
    namespaceOptions: ns,
    ...(s?.capabilities
      ? { capabilities: { addCapabilities: s.capabilities.addCapabilities ?? [], dropCapabilities: s.capabilities.dropCapabilities ?? [] } }
      : {}),
    privileged: s?.privileged ?? false,
    ...(s?.runAsUser !== undefined ? { runAsUser: { value: String(s.runAsUser) } } : {}),
    ...(s?.runAsGroup !== undefined ? { runAsGroup: { value: String(s.runAsGroup) } } : {}),
    runAsUsername: s?.runAsUsername ?? '',
    readonlyRootfs: s?.readonlyRootfs ?? false,
    supplementalGroups: (s?.supplementalGroups ?? []).map(String),
    noNewPrivs: s?.noNewPrivs ?? false,
  };
}

export function containerConfigToWire(c: ContainerConfig, sb: PodSandboxConfig): Wire {
  const r = c.linux?.resources;
  return {
    metadata: { name: c.metadata.name, attempt: c.metadata.attempt },
    image: { image: c.image.image },
    command: c.command ?? [],
    args: c.args ?? [],
    workingDir: c.workingDir ?? '',
    envs: (c.envs ?? []).map((e) => ({ key: e.key, value: e.value })),
    mounts: (c.mounts ?? []).map((m) => ({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: m.readonly ?? false,
      propagation: m.propagation ?? 'PROPAGATION_PRIVATE',
    })),
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
    logPath: c.logPath ?? '',
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: r
        ? {
            cpuPeriod: String(r.cpuPeriod ?? 0),
            cpuQuota: String(r.cpuQuota ?? 0),
            cpuShares: String(r.cpuShares ?? 0),
            memoryLimitInBytes: String(r.memoryLimitInBytes ?? 0),
            oomScoreAdj: String(r.oomScoreAdj ?? 0),
          }
        : null,
      securityContext: securityContextToWire(c.linux?.securityContext, sb),
    },
  };
}

const ns = (v: unknown): bigint => {
  try {
    return BigInt((v as string | number | undefined) ?? 0);
  } catch {
    return 0n;
  }
};

const record = (v: unknown): Record<string, string> => ({ ...((v as Record<string, string> | null) ?? {}) });

/** PodSandbox (ListPodSandbox) or PodSandboxStatus (PodSandboxStatus) → PodSandboxStatus. */
export function sandboxFromWire(w: Wire): PodSandboxStatus {
  const m = w.metadata ?? {};
  const ip: string = w.network?.ip ?? '';
  return {
    id: w.id,
    metadata: { name: m.name ?? '', namespace: m.namespace ?? '', uid: m.uid ?? '', attempt: m.attempt ?? 0 },
    state: (w.state ?? 'SANDBOX_NOTREADY') as SandboxState,
    createdAt: ns(w.createdAt),
    ...(ip ? { network: { ip, additionalIps: ((w.network?.additionalIps ?? []) as Wire[]).map((a) => a.ip as string).filter(Boolean) } } : {}),
    labels: record(w.labels),
    annotations: record(w.annotations),
  };
}

/** ContainerStatus → ContainerStatus; CRI's status has no sandbox id, so the caller supplies it. */
export function containerStatusFromWire(w: Wire, podSandboxId: string): ContainerStatus {
  const m = w.metadata ?? {};
  return {
    id: w.id,
    podSandboxId,
    metadata: { name: m.name ?? '', attempt: m.attempt ?? 0 },
    state: (w.state ?? 'CONTAINER_UNKNOWN') as ContainerState,
    createdAt: ns(w.createdAt),
    startedAt: ns(w.startedAt),
    finishedAt: ns(w.finishedAt),
    exitCode: w.exitCode ?? 0,
    image: { image: w.image?.image ?? '' },
    imageRef: w.imageRef ?? '',
    ...(w.reason ? { reason: w.reason } : {}),
    ...(w.message ? { message: w.message } : {}),
    labels: record(w.labels),
    annotations: record(w.annotations),
    ...(w.logPath ? { logPath: w.logPath } : {}),
  };
}

/** The few fields of a listed Container (ListContainers) the relister watches. */
export interface ListedContainer {
  id: string;
  podSandboxId: string;
  state: ContainerState;
  createdAt: bigint;
}

export function containerFilterToWire(f: ContainerFilter | undefined, id?: string): Wire {
  return {
    id: id ?? '',
    podSandboxId: f?.podSandboxId ?? '',
    state: f?.state ? { state: f.state } : null,
    labelSelector: f?.labelSelector ?? {},
  };
}

export function sandboxFilterToWire(f: PodSandboxFilter | undefined): Wire {
  return { id: '', state: f?.state ? { state: f.state } : null, labelSelector: f?.labelSelector ?? {} };
}

export function imageFromWire(w: Wire): Image {
  return { id: w.id, repoTags: [...(w.repoTags ?? [])], repoDigests: [...(w.repoDigests ?? [])], size: ns(w.size), ...(w.pinned ? { pinned: true } : {}) };
}

/**
 * CRI AuthConfig; null (no credentials, an anonymous pull) when there are none. The
 * server address stays empty, as the kubelet leaves it: the credentials were already
 * matched to the image's registry, and containerd parses a non-empty one as a URL (a bare
 * `host:port`, as docker config files key registries, does not parse) and then drops the
 * credentials for any host it does not name.
 */
export function authToWire(a: PullAuth | undefined): Wire | null {
  if (!a || (a.username === undefined && a.auth === undefined)) return null;
  return { username: a.username ?? '', password: a.password ?? '', auth: a.auth ?? '' };
}
