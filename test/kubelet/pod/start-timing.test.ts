// The node agent's pod start timing: marks kept per pod until it is both written and seen
// Running, then recorded once in the kubelet's histograms and the per-phase one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { PodStartTiming, START_MARKS } from '../../../src/kubelet/pod/start-timing.js';
import { isOwnStatusEcho } from '../../../src/kubelet/pod/status-echo.js';
import type { Logger } from '../../../src/util/log.js';

const pod = (uid: string, created = '2026-01-01T00:00:00Z'): Pod => ({
  metadata: { name: `p-${uid}`, namespace: 'ns', uid, creationTimestamp: created },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

function logger(lines: Record<string, unknown>[]): Logger {
  const l: Logger = { info: (msg, f) => lines.push({ msg, ...f }), warn: () => {}, error: () => {}, child: () => l };
  return l;
}

async function metric(t: PodStartTiming, name: string): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[]> {
  const m = await t.registry.getSingleMetric(name)!.get();
  return m.values as never;
}

test('a pod start is recorded once, phase by phase, when it is both written and seen Running', async () => {
  const lines: Record<string, unknown>[] = [];
  const t = new PodStartTiming(logger(lines));
  const p = pod('a');
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  START_MARKS.forEach((m, i) => {
    if (m === 'runningSeen' || m === 'statusWritten') return;
    t.mark(p, m, t0 + 100 * (i + 1));
  });
  t.mark(p, 'sandboxReady', t0 + 99_999); // a second sandbox later is not the start's
  t.pulled(p, 200);
  // The watch shows Running before the write returns: nothing is recorded until both are in.
  t.mark(p, 'runningSeen', t0 + 950);
  assert.equal(lines.length, 0);
  t.mark(p, 'statusWritten', t0 + 900);
  assert.equal(lines.length, 1);
  const line = lines[0] as { phasesMs: Record<string, number>; pod: string };
  assert.equal(line.pod, 'ns/p-a');
  assert.equal(line.phasesMs.sandbox, 100, 'sandboxRequested → sandboxReady, first time only');
  assert.equal(line.phasesMs.status_write, 100);
  assert.equal(line.phasesMs.watch, 50);
  const start = await metric(t, 'kubelet_pod_start_duration_seconds');
  assert.equal(start.find((v) => v.metricName?.endsWith('_sum'))!.value, 0.8, 'seen (t0+100) → Running written (t0+900)');
  const sli = await metric(t, 'kubelet_pod_start_sli_duration_seconds');
  assert.equal(sli.find((v) => v.metricName?.endsWith('_sum'))!.value, 0.75, 'creation → Running seen, less the 200 ms pull');
  const phases = await metric(t, 'skiff_kubelet_pod_start_phase_seconds');
  const sandboxCount = phases.find((v) => v.metricName?.endsWith('_count') && v.labels.phase === 'sandbox');
  assert.equal(sandboxCount?.value, 1);
  // Later marks (a restart, a new sandbox) are no second start.
  t.mark(p, 'statusWritten');
  t.mark(p, 'runningSeen');
  assert.equal(lines.length, 1);
  assert.equal(t.pending, 0);
});

test('a pod met Running (adopted after a restart) is no start; a deleted pod is forgotten', () => {
  const lines: Record<string, unknown>[] = [];
  const t = new PodStartTiming(logger(lines));
  const adopted = pod('b');
  t.mark(adopted, 'statusWritten');
  t.mark(adopted, 'runningSeen');
  assert.equal(t.pending, 0);
  assert.equal(lines.length, 0);
  const gone = pod('c');
  t.mark(gone, 'seen');
  t.mark(gone, 'sandboxRequested');
  assert.equal(t.pending, 1);
  t.forget('c');
  assert.equal(t.pending, 0);
  t.mark({ metadata: { name: 'no-uid' } }, 'seen');
  assert.equal(t.pending, 0, 'a pod without uid is skipped');
});

test('status echo: only a status-only update carrying the status this worker wrote is an echo', () => {
  const written: PodStatus = { phase: 'Running', podIP: '10.1.0.5', conditions: [{ type: 'Ready', status: 'True' }] };
  const old: Pod = { ...pod('d'), metadata: { ...pod('d').metadata, resourceVersion: '5' }, status: { phase: 'Pending' } };
  const echo: Pod = { ...old, metadata: { ...old.metadata, resourceVersion: '6', managedFields: [] }, status: { ...written, startTime: undefined } };
  assert.equal(isOwnStatusEcho(old, echo, written), true);
  assert.equal(isOwnStatusEcho(old, echo, undefined), false, 'nothing written yet');
  assert.equal(isOwnStatusEcho(undefined, echo, written), false);
  assert.equal(isOwnStatusEcho(old, { ...echo, status: { ...written, phase: 'Failed' } }, written), false, 'a status someone else wrote');
  assert.equal(isOwnStatusEcho(old, { ...echo, metadata: { ...echo.metadata, deletionTimestamp: '2026-01-01T00:00:09Z' } }, written), false, 'deletion');
  assert.equal(isOwnStatusEcho(old, { ...echo, metadata: { ...echo.metadata, labels: { a: 'b' } } }, written), false, 'labels');
  assert.equal(isOwnStatusEcho(old, { ...echo, spec: { ...echo.spec!, activeDeadlineSeconds: 5 } }, written), false, 'spec');
  assert.equal(isOwnStatusEcho(old, undefined, written), false, 'gone');
});
