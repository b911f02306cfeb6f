// Stopping one container as the kubelet's killContainer does: a Killing event, the preStop
// hook within the grace period, then StopContainer with what is left of the period (at
// least 2 s, however long the hook took); the runtime sends SIGTERM, then SIGKILL.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { runLifecycleHook } from './lifecycle-hooks.js';
import type { HandlerTarget } from '../prober/handler.js';
import type { ContainerRuntime } from '../runtime/types.js';

/** The kubelet gives every container at least this long to stop, even after a long preStop. */
export const MIN_GRACE_SECONDS = 2;

/** The pod's terminationGracePeriodSeconds, 30 s when unset. */
export function graceSeconds(pod: Pod): number {
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

export interface StopDeps {
  runtime: ContainerRuntime;
  event?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  now(): number;
  /** Where the hook reaches the container (its pod IP for httpGet). */
  hookTarget(c: Container, containerId: string): Promise<HandlerTarget>;
}

export async function stopContainerGracefully(
  d: StopDeps,
  pod: Pod | undefined,
  c: Container | undefined,
  id: string,
  graceSeconds: number,
  message: string,
): Promise<void> {
  if (pod) d.event?.(pod, 'Normal', 'Killing', message);
  let grace = graceSeconds;
  const preStop = c?.lifecycle?.preStop;
  // Hooks need processes; with a simulated runtime there is nothing to run them in.
  if (pod && c && preStop && d.runtime.runsProcesses && grace > 0) {
    const start = d.now();
    let timer: NodeJS.Timeout | undefined;
    const ref = `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
    const outOfTime = new Promise<string>((r) => {
      timer = setTimeout(() => r(`PreStopHook for Container "${c.name}" in Pod "${ref}" did not complete within ${grace}s`), grace * 1000);
    });
    const err = await Promise.race([runLifecycleHook(preStop, pod, c, await d.hookTarget(c, id), grace), outOfTime]);
    clearTimeout(timer);
    if (err) d.event?.(pod, 'Warning', 'FailedPreStopHook', err);
    grace -= Math.floor((d.now() - start) / 1000);
  }
  await d.runtime.stopContainer(id, Math.max(grace, MIN_GRACE_SECONDS));
}
