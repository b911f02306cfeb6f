// The pod a Job runs: its template, owned by the Job, pinned by the tracking finalizer,
// and for Indexed Jobs carrying its completion index (annotation, label, env, hostname).
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { COMPLETION_INDEX_ANNOTATION, TRACKING_FINALIZER } from './policy.js';
import { controllerRefFor } from '../lib/controller-ref.js';
import { podFromTemplate } from '../lib/pod-control.js';

export function buildJobPod(job: Job, index: number | undefined): Pod {
  const pod = podFromTemplate(job.spec?.template, job, controllerRefFor(job, 'batch/v1', 'Job'));
  const meta = pod.metadata!;
  meta.finalizers = [...(meta.finalizers ?? []), TRACKING_FINALIZER];
  const name = job.metadata!.name!;
  if (index === undefined) {
    meta.generateName = `${name}-`;
    return pod;
  }
  meta.generateName = `${name}-${index}-`;
  meta.annotations = { ...(meta.annotations ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(index) };
  meta.labels = { ...(meta.labels ?? {}), [COMPLETION_INDEX_ANNOTATION]: String(index) };
  const spec = pod.spec!;
  spec.hostname ??= `${name}-${index}`;
  const addEnv = (c: Container) => {
    if (c.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')) return;
    c.env = [
      ...(c.env ?? []),
      { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } } },
    ];
  };
  for (const c of spec.containers ?? []) addEnv(c);
  for (const c of spec.initContainers ?? []) addEnv(c);
  return pod;
}
