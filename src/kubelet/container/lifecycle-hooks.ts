// Container lifecycle hooks (postStart, preStop): exec, httpGet or sleep handlers, run as
// the kubelet's handler runner runs them, with its failure messages (what the
// FailedPostStartHook / FailedPreStopHook events say).
import type { Container, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import { runHandler, type HandlerTarget } from '../prober/handler.js';

const podRef = (pod: Pod) => `${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;

/**
 * Runs a hook with a time budget; resolves to undefined on success, else to the message
 * that explains the failure. Never rejects.
 */
export async function runLifecycleHook(h: LifecycleHandler, pod: Pod, c: Container, target: HandlerTarget, budgetSeconds: number): Promise<string | undefined> {
  if (h.sleep) {
    const ms = Math.max(0, Math.min(h.sleep.seconds ?? 0, budgetSeconds)) * 1000;
    await new Promise((r) => setTimeout(r, ms).unref?.());
    return undefined;
  }
  if (h.exec) {
    const out = await runHandler(h, target, budgetSeconds);
    if (out.result === 'Success') return undefined;
    const err = out.result === 'Failure' ? 'command terminated with a non-zero exit code' : out.output;
    return `Exec lifecycle hook (${JSON.stringify(h.exec.command ?? [])}) for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: ${err}, message: ${JSON.stringify(out.result === 'Failure' ? out.output : '')}`;
  }
  if (h.httpGet) {
    const out = await runHandler(h, target, budgetSeconds);
    // Any answer counts: the hook only has to reach the container.
    if (out.result === 'Success' || out.result === 'Warning' || out.output.startsWith('HTTP probe failed with statuscode')) return undefined;
    return `HTTP lifecycle hook (${h.httpGet.path ?? '/'}) for Container "${c.name}" in Pod "${podRef(pod)}" failed - error: ${out.output}`;
  }
  if (h.tcpSocket) return `TCPSocket lifecycle hook for Container "${c.name}" in Pod "${podRef(pod)}" is not supported`;
  return `lifecycle hook for Container "${c.name}" in Pod "${podRef(pod)}" names no action`;
}
