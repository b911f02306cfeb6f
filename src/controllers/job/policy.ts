// What a Job makes of its pods: which finished how, what the pod failure policy says about
// a failed one, how long to back off before the next try, and the Job's conditions.
import type { Job, JobCondition, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../util/time.js';

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 10_000, maxMs: 6 * 60_000 };

/** The moment a pod finished: its last container's finish, else its deletion, else unknown. */
export function finishedAt(pod: Pod): number | undefined {
  let t: number | undefined;
  for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const f = cs.state?.terminated?.finishedAt;
    if (f) t = Math.max(t ?? 0, Date.parse(f));
  }
  if (t === undefined && pod.metadata?.deletionTimestamp) t = Date.parse(pod.metadata.deletionTimestamp);
  return t;
}

export type PolicyAction = 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';

/** The first rule that matches a failed pod, with the message Kubernetes gives a FailJob. */
export function matchPodFailurePolicy(job: Job, pod: Pod): { action: PolicyAction; message: string } | undefined {
  const rules: PodFailurePolicyRule[] = job.spec?.podFailurePolicy?.rules ?? [];
  const ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const ec = rule.onExitCodes;
    if (ec) {
      for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        const code = cs.state?.terminated?.exitCode;
        // Exit code 0 never matches: only failures are classified.
        if (code === undefined || code === 0) continue;
        if (ec.containerName && ec.containerName !== cs.name) continue;
        const inValues = ec.values.includes(code);
        if (ec.operator === 'In' ? inValues : !inValues)
          return {
            action: rule.action as PolicyAction,
            message: `Container ${cs.name} for pod ${ref} failed with exit code ${code} matching ${rule.action} rule at index ${i}`,
          };
      }
    }
    for (const pc of rule.onPodConditions ?? []) {
      const c = pod.status?.conditions?.find((x) => x.type === pc.type && x.status === (pc.status ?? 'True'));
      if (c) return { action: rule.action as PolicyAction, message: `Pod ${ref} has condition ${pc.type} matching ${rule.action} rule at index ${i}` };
    }
  }
  return undefined;
}

/**
 * Milliseconds to wait before creating the next pod: 10 s doubling per failure since the
 * last success, capped, counted from the last failure (Kubernetes' backoffRecord, but
 * derived from the pods the API holds rather than kept in memory).
 */
export function backoffRemaining(pods: Pod[], now: number, opts: BackoffOptions): number {
  let lastSuccess = -Infinity;
  for (const p of pods) if (p.status?.phase === 'Succeeded') lastSuccess = Math.max(lastSuccess, finishedAt(p) ?? now);
  let failures = 0;
  let lastFailure = -Infinity;
  for (const p of pods) {
    if (p.status?.phase !== 'Failed') continue;
    const t = finishedAt(p) ?? now;
    if (t <= lastSuccess) continue;
    failures++;
    lastFailure = Math.max(lastFailure, t);
  }
  if (!failures) return 0;
  const delay = Math.min(opts.baseMs * 2 ** (failures - 1), opts.maxMs);
  return Math.max(0, lastFailure + delay - now);
}

export function findCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function isFinished(job: Job): boolean {
  return !!(findCondition(job, 'Complete') ?? findCondition(job, 'Failed'));
}

/** Sets a condition in `conditions`, keeping lastTransitionTime when the status did not change. */
export function setCondition(conditions: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: number): boolean {
  const at = formatTime(now);
  const existing = conditions.find((c) => c.type === type);
  if (existing) {
    if (existing.status === status && existing.reason === reason && existing.message === message) return false;
    if (existing.status !== status) existing.lastTransitionTime = at;
    existing.status = status;
    existing.reason = reason;
    existing.message = message;
    existing.lastProbeTime = at;
    return true;
  }
  conditions.push({ type, status, lastProbeTime: at, lastTransitionTime: at, reason, message });
  return true;
}
