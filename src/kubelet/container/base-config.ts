// The part of a container's CRI config that comes straight from the pod spec (name,
// attempt, image, command, args, stdio, log path, the kubelet's labels), and how the
// config hook's additions (env, mounts, resources, security…) are merged into it.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { SIM_EXIT_CODE, SIM_RUN_SECONDS, type ContainerConfig } from '../runtime/types.js';

export function baseContainerConfig(pod: Pod, c: Container, attempt: number): ContainerConfig {
  return {
    metadata: { name: c.name, attempt },
    image: { image: c.image ?? '' },
    command: c.command,
    args: c.args,
    labels: kubeletLabels(pod, c),
    annotations: simulationAnnotations(pod),
    // Relative to the sandbox's log directory, as the kubelet lays logs out.
    logPath: `${c.name}/${attempt}.log`,
    ...(c.stdin ? { stdin: true } : {}),
    ...(c.stdinOnce ? { stdinOnce: true } : {}),
    ...(c.tty ? { tty: true } : {}),
  };
}

function kubeletLabels(pod: Pod, c: Container): Record<string, string> {
  return {
    'io.kubernetes.pod.name': pod.metadata!.name!,
    'io.kubernetes.pod.namespace': pod.metadata!.namespace!,
    'io.kubernetes.pod.uid': pod.metadata!.uid!,
    'io.kubernetes.container.name': c.name,
  };
}

/**
 * The hook's fields win, except identity: metadata and log path stay the worker's, and
 * the kubelet's labels (which find the container again) cannot be overridden.
 */
export function mergeContainerConfig(base: ContainerConfig, extra: Partial<ContainerConfig>): ContainerConfig {
  return {
    ...base,
    ...extra,
    metadata: base.metadata,
    image: extra.image ?? base.image,
    logPath: base.logPath,
    labels: { ...extra.labels, ...base.labels },
    annotations: { ...base.annotations, ...extra.annotations },
  };
}

/**
 * kwok's default stages: containers of pods that are meant to finish (restartPolicy Never
 * or OnFailure) exit 0 after about a second; others run until stopped. The pod's own
 * annotations override both.
 */
export function simulationAnnotations(pod: Pod): Record<string, string> {
  const ann = pod.metadata?.annotations ?? {};
  const finishes = (pod.spec?.restartPolicy ?? 'Always') !== 'Always';
  const out: Record<string, string> = {};
  const run = ann[SIM_RUN_SECONDS] ?? (finishes || ann[SIM_EXIT_CODE] !== undefined ? '1' : undefined);
  if (run !== undefined) out[SIM_RUN_SECONDS] = run;
  if (ann[SIM_EXIT_CODE] !== undefined) out[SIM_EXIT_CODE] = ann[SIM_EXIT_CODE];
  return out;
}
