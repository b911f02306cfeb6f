// From a pod's container spec to the CRI ContainerConfig the runtime creates: command and
// args with $(VAR) expanded, the environment, the volume mounts plus the kubelet's own
// (/etc/hosts, the termination-message file), cgroup resources, the security context,
// and the labels/annotations the kubelet puts on every container.
import { chmod, mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { EnvVar } from './env.js';
import { expandCommandAndArgs } from './expansion.js';
import { linuxResources } from './linux-resources.js';
import type { PodDirs } from './pod-dirs.js';
import { linuxSecurityContext, verifyRunAsNonRoot, type ImageUser } from './security-context.js';
import type { ContainerConfig, Mount } from '../runtime/types.js';

const TERMINATION_MESSAGE_PATH_ANNOTATION = 'io.kubernetes.container.terminationMessagePath';
const TERMINATION_MESSAGE_POLICY_ANNOTATION = 'io.kubernetes.container.terminationMessagePolicy';
const RESTART_COUNT_ANNOTATION = 'io.kubernetes.container.restartCount';
/** The kubelet reads at most this much of a termination message. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;

export interface ContainerConfigOptions {
  /** The restart count: CRI's metadata.attempt. */
  attempt: number;
  /** From makeEnvironment(). */
  env: EnvVar[];
  /** From VolumeManager.mountsFor(). */
  mounts: Mount[];
  /** Relative to the sandbox's log directory; default `<name>/<attempt>.log`, as the kubelet. */
  logPath?: string;
  /** The pod's directories; with them the /etc/hosts and termination-message files are made. */
  dirs?: PodDirs;
  /** The pod's IPs, for /etc/hosts; without them no hosts file is mounted (as the kubelet). */
  podIPs?: string[];
  /** Node memory in bytes, for the Burstable OOM score. */
  memoryCapacity?: number;
  /** The image's configured user, for runAsNonRoot and the default runAsUser. */
  imageUser?: ImageUser;
  /** Extra container annotations (e.g. the simulated runtime's). */
  annotations?: Record<string, string>;
}

export interface BuiltContainerConfig {
  config: ContainerConfig;
  /** Host file mounted at terminationMessagePath; read it when the container exits. */
  terminationMessageFile?: string;
}

const ETC_HOSTS = '/etc/hosts';

/** Throws the kubelet's error for runAsNonRoot violations (a CreateContainerConfigError). */
export async function buildContainerConfig(pod: Pod, container: Container, opts: ContainerConfigOptions): Promise<BuiltContainerConfig> {
  verifyRunAsNonRoot(pod, container, opts.imageUser);
  const md = pod.metadata ?? {};
  const mounts = [...opts.mounts];
  const uid = md.uid ?? '';
  const dirs = opts.dirs;
  if (dirs && opts.podIPs?.length && !mounts.some((m) => m.containerPath === ETC_HOSTS)) {
    // The agent writes the file (writeHostsFile) once the pod has its IPs; every container mounts it.
    mounts.push({ containerPath: ETC_HOSTS, hostPath: dirs.etcHosts(uid) });
  }
  let terminationMessageFile: string | undefined;
  const tmPath = container.terminationMessagePath ?? '/dev/termination-log';
  if (dirs && tmPath) {
    // A fresh file per attempt, so a restarted container never reports its predecessor's message.
    const dir = dirs.container(uid, container.name);
    await mkdir(dir, { recursive: true });
    terminationMessageFile = path.join(dir, randomBytes(4).toString('hex'));
    await writeFile(terminationMessageFile, '', { flag: 'wx' });
    // World-writable: the container may run as any user.
    await chmod(terminationMessageFile, 0o666);
    mounts.push({ containerPath: tmPath, hostPath: terminationMessageFile });
  }
  const { command, args } = expandCommandAndArgs(container.command, container.args, opts.env);
  const config: ContainerConfig = {
    metadata: { name: container.name, attempt: opts.attempt },
    image: { image: container.image ?? '' },
    envs: opts.env.map((e) => ({ key: e.key, value: e.value })),
    mounts,
    labels: {
      'io.kubernetes.pod.name': md.name ?? '',
      'io.kubernetes.pod.namespace': md.namespace ?? '',
      'io.kubernetes.pod.uid': uid,
      'io.kubernetes.container.name': container.name,
    },
    annotations: {
      [RESTART_COUNT_ANNOTATION]: String(opts.attempt),
      [TERMINATION_MESSAGE_PATH_ANNOTATION]: tmPath,
      [TERMINATION_MESSAGE_POLICY_ANNOTATION]: container.terminationMessagePolicy ?? 'File',
      ...(opts.annotations ?? {}),
    },
    logPath: opts.logPath ?? `${container.name}/${opts.attempt}.log`,
    linux: {
      resources: linuxResources(pod, container, opts.memoryCapacity ?? 0),
      securityContext: linuxSecurityContext(pod, container, opts.imageUser),
    },
  };
  if (command?.length) config.command = command;
  if (args?.length) config.args = args;
  if (container.workingDir) config.workingDir = container.workingDir;
  if (container.stdin) config.stdin = true;
  if (container.stdinOnce) config.stdinOnce = true;
  if (container.tty) config.tty = true;
  return { config, terminationMessageFile };
}

/** The message a container left at its terminationMessagePath (the last 4096 bytes at most); '' when none. */
export async function readTerminationMessage(file: string): Promise<string> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new Error(`reading termination message ${file}: ${(err as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, MAX_TERMINATION_MESSAGE_BYTES);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}
