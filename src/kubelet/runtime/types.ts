// The container runtime as the node agent sees it: the shape of CRI's RuntimeService and
// ImageService (runtime.v1), in TypeScript. The simulated runtime implements it today; the
// CRI gRPC client to containerd implements the same interface later, so the agent's pod
// workers never know which one they drive.

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandboxMetadata {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  /** Directory (on the host) under which container logs of this pod are written. */
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Pods with hostNetwork share the node's network namespace (and IP). */
  hostNetwork?: boolean;
  /** Pods with hostPID / hostIPC share those namespaces with the node. */
  hostPID?: boolean;
  hostIPC?: boolean;
  /** shareProcessNamespace: the pod's containers see each other's processes (one PID namespace per pod). */
  sharePID?: boolean;
  /** Linux cgroup parent of the pod (resource accounting). */
  cgroupParent?: string;
  /** Sandbox-level security: the pod's sysctls and the pause process' user, as CRI has them. */
  sysctls?: Record<string, string>;
}

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata;
  state: SandboxState;
  /** Nanoseconds since the epoch, as CRI reports times. */
  createdAt: bigint;
  network?: { ip: string; additionalIps?: string[] };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ContainerMetadata {
  name: string;
  /** How many times this container has been created in this sandbox before (the restart count). */
  attempt: number;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  /** CRI MountPropagation: PROPAGATION_PRIVATE (default), _HOST_TO_CONTAINER, _BIDIRECTIONAL. */
  propagation?: 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
}

/** CRI LinuxContainerResources, the fields the kubelet fills. */
export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
}

/** CRI LinuxContainerSecurityContext, the fields the kubelet fills. */
export interface LinuxContainerSecurityContext {
  capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  /** CRI NamespaceOption pid TARGET: join this container's PID namespace (an ephemeral container's target). */
  pidTargetId?: string;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: { image: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: { key: string; value: string }[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Path relative to the sandbox's logDirectory, e.g. `web/0.log`. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

export interface ContainerStatus {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  state: ContainerState;
  createdAt: bigint;
  /** 0n until started / finished. */
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  image: { image: string };
  imageRef: string;
  reason?: string;
  message?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Absolute path of the container's CRI log file on the host, when it has one. */
  logPath?: string;
}

export interface ContainerFilter {
  podSandboxId?: string;
  state?: ContainerState;
  labelSelector?: Record<string, string>;
}

export interface PodSandboxFilter {
  state?: SandboxState;
  labelSelector?: Record<string, string>;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: bigint;
  /** The runtime asks that it never be garbage-collected (the sandbox image, in runtimes that say so). */
  pinned?: boolean;
}

/** CRI's ContainerEventResponse, reduced to what the agent acts on (its PLEG). */
export interface ContainerEvent {
  containerId: string;
  type: 'CONTAINER_CREATED_EVENT' | 'CONTAINER_STARTED_EVENT' | 'CONTAINER_STOPPED_EVENT' | 'CONTAINER_DELETED_EVENT';
  podSandboxId: string;
  createdAt: bigint;
}

export interface RuntimeVersion {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeService {
  version(): Promise<RuntimeVersion>;
  /** CRI UpdateRuntimeConfig: hands the runtime the node's pod CIDR once it has one. */
  updateRuntimeConfig(cfg: { podCidr: string }): Promise<void>;
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(podSandboxId: string): Promise<void>;
  removePodSandbox(podSandboxId: string): Promise<void>;
  podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: PodSandboxFilter): Promise<PodSandboxStatus[]>;
  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(containerId: string): Promise<void>;
  /** Signals the container and waits up to `timeoutSeconds` before killing it. */
  stopContainer(containerId: string, timeoutSeconds: number): Promise<void>;
  removeContainer(containerId: string): Promise<void>;
  containerStatus(containerId: string): Promise<ContainerStatus>;
  listContainers(filter?: ContainerFilter): Promise<ContainerStatus[]>;
  /** CRI GetContainerEvents as a subscription; returns the unsubscribe function. */
  getContainerEvents(listener: (ev: ContainerEvent) => void): () => void;
  /** Runs a command in a container and waits for it (exec probes, hooks). */
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;
  /** CRI Exec / Attach / PortForward: the runtime's streaming URL that serves the session. */
  exec(req: ExecRequest): Promise<{ url: string }>;
  attach(req: AttachRequest): Promise<{ url: string }>;
  portForward(req: { podSandboxId: string; ports: number[] }): Promise<{ url: string }>;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachRequest {
  containerId: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** CRI AuthConfig: registry credentials for one pull (from the pod's imagePullSecrets). */
export interface PullAuth {
  username?: string;
  password?: string;
  /** base64 of `username:password`, as docker config files carry it. */
  auth?: string;
  serverAddress?: string;
}

export interface ImageService {
  /** Returns the image reference (id) that was pulled. */
  pullImage(image: string, auth?: PullAuth): Promise<string>;
  imageStatus(image: string): Promise<Image | undefined>;
  listImages(): Promise<Image[]>;
  removeImage(image: string): Promise<void>;
}

/** CRI ContainerStats, as the node agent's stats read them. Times are ns since the epoch. */
export interface RuntimeContainerStats {
  id: string;
  name: string;
  labels: Record<string, string>;
  cpu?: { timestamp: bigint; usageCoreNanoSeconds?: number };
  memory?: { timestamp: bigint; workingSetBytes?: number; usageBytes?: number; rssBytes?: number };
  writableLayerBytes?: number;
}

export interface RuntimeInterfaceStats {
  name: string;
  rxBytes?: number;
  rxErrors?: number;
  txBytes?: number;
  txErrors?: number;
}

/** CRI PodSandboxStats (Linux), as the node agent's stats read them. */
export interface RuntimeSandboxStats {
  id: string;
  metadata: PodSandboxMetadata;
  cpu?: RuntimeContainerStats['cpu'];
  memory?: RuntimeContainerStats['memory'];
  network?: { timestamp: bigint; defaultInterface?: RuntimeInterfaceStats; interfaces: RuntimeInterfaceStats[] };
  processCount?: number;
}

/** CRI's stats calls; runtimes that measure nothing (the simulated one) leave them out. */
export interface RuntimeStatsService {
  listContainerStats?(): Promise<RuntimeContainerStats[]>;
  listPodSandboxStats?(): Promise<RuntimeSandboxStats[]>;
}

export interface ContainerRuntime extends RuntimeService, ImageService, RuntimeStatsService {
  /** The `<name>://<version>` a Node reports as containerRuntimeVersion. */
  readonly runtimeVersionString: string;
  /**
   * False for the simulated runtime: nothing runs, so there is nothing to probe, mount or
   * stream from, and the agent skips those steps (as kwok does).
   */
  readonly runsProcesses: boolean;
  close(): Promise<void>;
}

/** Errors a runtime answers with, by CRI's gRPC status. */
export class RuntimeError extends Error {
  constructor(
    readonly code: 'NotFound' | 'InvalidArgument' | 'FailedPrecondition' | 'Unavailable' | 'Unimplemented' | 'DeadlineExceeded' | 'Unknown',
    message: string,
  ) {
    super(message);
  }
}

/** Pod annotations the simulated runtime honours (set by users on pods, copied to containers). */
export const SIM_EXIT_CODE = 'simulation.skiff.io/exit-code';
export const SIM_RUN_SECONDS = 'simulation.skiff.io/run-seconds';
